// The GPT-2 byte-level alphabet: every byte maps to one printable character (printable Latin-1 to
// itself, the rest to U+0100 upwards), so byte strings can be stored as vocab strings.
namespace SharpSeek.Tokenization.Bpe;

public static class ByteAlphabet
{
    // Immutable after type initialisation.
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte();

    /// <summary>Characters above this code point are never part of the alphabet.</summary>
    public const int MaxChar = 0x143;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is (>= '!' and <= '~') or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[MaxChar + 1];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[s_byteToChar[b]] = (short)b;
        return map;
    }

    public static char ToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte a character stands for, or -1 when it is not in the alphabet.</summary>
    public static int ToByte(char c) => c <= MaxChar ? s_charToByte[c] : -1;

    /// <summary>Maps UTF-8 bytes to their alphabet string (e.g. " hi" → "Ġhi").</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++) dst[i] = s_byteToChar[src[i]];
        });
    }

    /// <summary>Appends the bytes a token string stands for; false if some char is outside the alphabet.</summary>
    public static bool TryDecode(string token, List<byte> output)
    {
        foreach (char c in token) if (ToByte(c) < 0) return false;
        foreach (char c in token) output.Add((byte)ToByte(c));
        return true;
    }
}
