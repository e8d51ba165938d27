// FP4 e2m1 codec: 1 sign, 2 exponent, 1 mantissa bit; grid {0, 0.5, 1, 1.5, 2, 3, 4, 6} with sign.
// Packed two per byte, the LOW nibble holding the even column. Encoding rounds to nearest even
// on the grid (ties go to the code with a zero mantissa bit) and saturates at ±6.
namespace SharpSeek.Tensors.Codecs;

public static class Fp4E2M1
{
    public const float Max = 6f;

    private static readonly float[] s_table = [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f];

    /// <summary>Decoded value of each 4-bit code.</summary>
    public static ReadOnlySpan<float> Table => s_table;

    public static float Decode(int nibble) => s_table[nibble & 0xF];

    /// <summary>Round-to-nearest-even onto the e2m1 grid, saturating; returns the 4-bit code.</summary>
    public static byte Encode(double x)
    {
        int sign = x < 0 || (x == 0 && double.IsNegative(x)) ? 8 : 0;
        double a = Math.Abs(x);
        if (double.IsNaN(a)) return 0;
        int code;
        // Midpoints between neighbours; at an exact midpoint the even code (mantissa bit 0) wins.
        if (a < 0.25) code = 0;
        else if (a == 0.25) code = 0;
        else if (a < 0.75) code = 1;
        else if (a == 0.75) code = 2;
        else if (a < 1.25) code = 2;
        else if (a == 1.25) code = 2;
        else if (a < 1.75) code = 3;
        else if (a == 1.75) code = 4;
        else if (a < 2.5) code = 4;
        else if (a == 2.5) code = 4;
        else if (a < 3.5) code = 5;
        else if (a == 3.5) code = 6;
        else if (a < 5) code = 6;
        else if (a == 5) code = 6;
        else code = 7;
        return (byte)(sign | code);
    }

    public static double Round(double x) => s_table[Encode(x)];

    /// <summary>Value of column <paramref name="col"/> in a packed row (low nibble = even column).</summary>
    public static float DecodePacked(ReadOnlySpan<byte> packedRow, int col)
    {
        byte b = packedRow[col >> 1];
        return s_table[(col & 1) == 0 ? b & 0xF : b >> 4];
    }

    /// <summary>Packs codes (one per element) two per byte, low nibble first.</summary>
    public static void Pack(ReadOnlySpan<byte> codes, Span<byte> packed)
    {
        if (codes.Length % 2 != 0) throw new ArgumentException("FP4 packing needs an even number of codes", nameof(codes));
        for (int i = 0; i < codes.Length / 2; i++) packed[i] = (byte)((codes[2 * i] & 0xF) | (codes[2 * i + 1] << 4));
    }
}
