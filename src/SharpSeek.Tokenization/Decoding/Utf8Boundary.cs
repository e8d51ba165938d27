// Where a byte buffer stops being decodable: the length of a trailing, still-completable UTF-8
// sequence prefix. Holding exactly those bytes back makes chunked lossy decoding (U+FFFD per
// maximal subpart) equal to decoding everything at once.
namespace SharpSeek.Tokenization.Decoding;

public static class Utf8Boundary
{
    /// <summary>Number of trailing bytes that form an incomplete but valid-so-far UTF-8 sequence (0–3).</summary>
    public static int IncompleteSuffixLength(ReadOnlySpan<byte> bytes)
    {
        for (int back = 1; back <= 3 && back <= bytes.Length; back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation: keep looking for the lead byte
            int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
            if (need <= back) return 0; // ASCII, invalid lead, or a sequence already complete
            // The bytes after the lead must be valid continuations, with the lead's second-byte limits.
            for (int k = 1; k < back; k++)
            {
                byte c = bytes[^(back - k)];
                if (k == 1)
                {
                    (int lo, int hi) = b switch { 0xE0 => (0xA0, 0xBF), 0xED => (0x80, 0x9F), 0xF0 => (0x90, 0xBF), 0xF4 => (0x80, 0x8F), _ => (0x80, 0xBF) };
                    if (c < lo || c > hi) return 0;
                }
                else if ((c & 0xC0) != 0x80) return 0;
            }
            return back;
        }
        return 0;
    }
}
