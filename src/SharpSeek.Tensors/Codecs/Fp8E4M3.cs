// FP8 e4m3 ("e4m3fn") codec: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinity,
// 0x7F/0xFF are NaN, largest finite value 448. Encoding rounds to nearest even and saturates.
namespace SharpSeek.Tensors.Codecs;

public static class Fp8E4M3
{
    public const float Max = 448f;

    /// <summary>Decoded value of every code (NaN for 0x7F and 0xFF).</summary>
    public static ReadOnlySpan<float> Table => s_table;
    private static readonly float[] s_table = BuildTable();

    private static float[] BuildTable()
    {
        var t = new float[256];
        for (int c = 0; c < 256; c++) t[c] = DecodeSlow((byte)c);
        return t;
    }

    private static float DecodeSlow(byte code)
    {
        int sign = code >> 7, exp = (code >> 3) & 0xF, man = code & 7;
        if (exp == 15 && man == 7) return float.NaN;
        double v = exp == 0 ? man / 8.0 * Math.Pow(2, -6) : (1 + man / 8.0) * Math.Pow(2, exp - 7);
        return (float)(sign == 1 ? -v : v);
    }

    public static float Decode(byte code) => s_table[code];

    /// <summary>Round-to-nearest-even encoding; |x| beyond 448 saturates to ±448; NaN -> 0x7F.</summary>
    public static byte Encode(double x)
    {
        if (double.IsNaN(x)) return 0x7F;
        byte sign = x < 0 || (x == 0 && double.IsNegative(x)) ? (byte)0x80 : (byte)0;
        double a = Math.Abs(x);
        int code;
        if (a >= Max) code = 0x7E;
        else if (a < 0.015625) // below 2^-6: subnormal, quantum 2^-9
        {
            code = (int)Math.Round(a * 512.0, MidpointRounding.ToEven); // 8 = smallest normal, encoded naturally
        }
        else
        {
            int e = Math.ILogB(a);                                 // 2^e <= a < 2^(e+1)
            double q = Math.Round(Math.ScaleB(a, 3 - e), MidpointRounding.ToEven); // in [8, 16]
            code = ((e + 7) << 3) + (int)q - 8;                    // q == 16 carries into the exponent
            if (code > 0x7E) code = 0x7E;
        }
        return (byte)(sign | code);
    }

    /// <summary>Value after an encode/decode round trip (round to nearest even on the e4m3 grid, saturating).</summary>
    public static double Round(double x) => s_table[Encode(x)];
}

/// <summary>FP8 e8m0: a biased power-of-two exponent, value = 2^(code - 127); 0xFF is NaN.</summary>
public static class Fp8E8M0
{
    public static float Decode(byte code) => code == 0xFF ? float.NaN : MathF.ScaleB(1f, code - 127);

    /// <summary>Encodes an exact power of two 2^k (k in [-127, 127]).</summary>
    public static byte EncodeExponent(int k)
    {
        if (k < -127 || k > 127) throw new ArgumentOutOfRangeException(nameof(k), k, "e8m0 exponent out of range");
        return (byte)(k + 127);
    }
}
