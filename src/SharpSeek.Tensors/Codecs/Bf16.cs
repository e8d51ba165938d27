// BF16 codec: the upper 16 bits of an IEEE float32; encoding rounds to nearest even.
namespace SharpSeek.Tensors.Codecs;

public static class Bf16
{
    /// <summary>Exact widening of a BF16 code to float32.</summary>
    public static float Decode(ushort code) => BitConverter.Int32BitsToSingle(code << 16);

    /// <summary>Float32 to BF16 with round-to-nearest-even; NaN stays a quiet NaN.</summary>
    public static ushort Encode(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static void Decode(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short", nameof(dst));
        for (int i = 0; i < src.Length; i++) dst[i] = Decode(src[i]);
    }

    public static void Encode(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short", nameof(dst));
        for (int i = 0; i < src.Length; i++) dst[i] = Encode(src[i]);
    }
}

/// <summary>IEEE half precision through System.Half (round to nearest even).</summary>
public static class F16
{
    public static float Decode(ushort code) => (float)BitConverter.UInt16BitsToHalf(code);
    public static ushort Encode(float value) => BitConverter.HalfToUInt16Bits((Half)value);
}
