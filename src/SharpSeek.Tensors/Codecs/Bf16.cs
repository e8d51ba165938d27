using System.Runtime.CompilerServices;
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

/// <summary>IEEE half precision (round to nearest even when encoding).</summary>
public static class F16
{
    /// <summary>
    /// Exact widening with integer operations only and no call, so it inlines into block kernels: a call
    /// per ggml block (one scale per 32 weights) made the JIT spill every vector accumulator around it,
    /// and System.Half's conversion is a branchy software routine. Normal values are re-biased, zeros and
    /// subnormals are code x 2^-24 (exact), infinities and NaNs keep their payload with the quiet bit set,
    /// as System.Half does: the same bits for every one of the 65,536 codes (tested).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Decode(ushort code)
    {
        uint sign = (uint)(code & 0x8000) << 16, e = (uint)(code >> 10) & 0x1F, m = (uint)code & 0x3FF;
        if (e - 1 < 30) return BitConverter.UInt32BitsToSingle(sign | ((e + 112) << 23) | (m << 13));
        if (e == 0) return BitConverter.UInt32BitsToSingle(sign | BitConverter.SingleToUInt32Bits(m * (1f / 16777216f)));
        return BitConverter.UInt32BitsToSingle(sign | 0x7F800000 | (m << 13) | (m != 0 ? 0x400000u : 0u));
    }

    /// <summary>The plain twin of <see cref="Decode"/>: System.Half's conversion.</summary>
    public static float DecodeReference(ushort code) => (float)BitConverter.UInt16BitsToHalf(code);

    public static ushort Encode(float value) => BitConverter.HalfToUInt16Bits((Half)value);
}
