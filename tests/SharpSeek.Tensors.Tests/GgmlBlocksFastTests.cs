// The vectorised ggml block decoding equals its scalar twin (GgmlBlocks) bit for bit for every format
// it decodes: random blocks (every byte value) for 0..40 blocks; blocks whose scale fields hold extreme
// f16 codes (zeros, the smallest and largest subnormals, the smallest normal, the largest finite,
// infinities, NaNs) and extreme f32 scales (Q8_K); blocks built only from boundary byte values (all
// codes 0 or all ones, sign and exponent edges); all-zero and all-0xFF blocks; every F16 code.
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Tests;

public sealed class GgmlBlocksFastTests
{
    public static TheoryData<GgmlType> Types() => new(Enum.GetValues<GgmlType>().Where(GgmlBlocks.CanDequantize));

    private static void AssertSame(GgmlType type, byte[] src, string what, bool nanBitsToo = false)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        float[] fast = new float[src.Length / info.BlockBytes * info.BlockElements], twin = new float[fast.Length];
        GgmlBlocksFast.Dequantize(type, src, fast);
        GgmlBlocks.Dequantize(type, src, twin);
        for (int i = 0; i < fast.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(twin[i]) || (!nanBitsToo && float.IsNaN(fast[i]) && float.IsNaN(twin[i])),
                $"{type} {what}, element {i}: fast {fast[i]:R} ({BitConverter.SingleToInt32Bits(fast[i]):X8}) vs twin {twin[i]:R} ({BitConverter.SingleToInt32Bits(twin[i]):X8})");
    }

    [Fact]
    public void EveryFormatIsVectorisedOnAvx2()
    {
        foreach (GgmlType type in Enum.GetValues<GgmlType>().Where(GgmlBlocks.CanDequantize))
            Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, GgmlBlocksFast.IsVectorised(type));   // elsewhere every format takes the twin
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void VectorPathEqualsTheScalarTwin(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random((int)type);
        int step = info.BlockElements == 1 ? 7 : 1;   // plain floats: 0..280 elements, across the 16-lane loop and its tail
        for (int blocks = 0; blocks <= 40 * step; blocks += step)
        {
            byte[] src = new byte[blocks * info.BlockBytes];
            rng.NextBytes(src);
            AssertSame(type, src, $"{blocks} random blocks");
        }
    }

    // Where each format keeps its f16 scales (MXFP4's e8m0 byte and IQ1_M's spread scale take every value in the random tests).
    private static int[] HalfScaleOffsets(GgmlType type) => type switch
    {
        GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
        GgmlType.Q2_K => [80, 82],
        GgmlType.Q3_K => [108],
        GgmlType.Q6_K => [208],
        GgmlType.TQ1_0 => [52],
        GgmlType.TQ2_0 => [64],
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.IQ2_XXS or GgmlType.IQ2_XS
            or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S or GgmlType.F16 => [0],
        _ => [],
    };

    private static readonly ushort[] s_extremeHalves =
        [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFFFF];

    [Theory]
    [MemberData(nameof(Types))]
    public void ExtremeScalesEqualTheTwin(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random(500 + (int)type);
        foreach (int at in HalfScaleOffsets(type))
        foreach (ushort half in s_extremeHalves)
        {
            byte[] src = new byte[8 * info.BlockBytes];
            rng.NextBytes(src);
            for (int b = 0; b < 8; b++) BitConverter.TryWriteBytes(src.AsSpan(b * info.BlockBytes + at), half);
            AssertSame(type, src, $"f16 scale {half:X4} at byte {at}");
        }
        if (type == GgmlType.Q8_K)
        {
            foreach (float d in new[] { 0f, -0f, float.Epsilon, -float.Epsilon, 1.17549435e-38f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN })
            {
                byte[] src = new byte[4 * info.BlockBytes];
                rng.NextBytes(src);
                for (int b = 0; b < 4; b++) BitConverter.TryWriteBytes(src.AsSpan(b * info.BlockBytes), d);
                AssertSame(type, src, $"f32 scale {d:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void BoundaryBytesAndUniformBlocksEqualTheTwin(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        // Byte values at code and exponent edges: all-zero and all-one codes, sign bits, f16 exponents 0, 1, 30, 31.
        byte[] edges = [0x00, 0xFF, 0x01, 0x80, 0x7F, 0x0F, 0xF0, 0x03, 0x04, 0x7B, 0x7C, 0x7E, 0x3C];
        var rng = new Random(900 + (int)type);
        int n = Math.Max(1, 64 / info.BlockElements) * 16;
        byte[] src = new byte[n * info.BlockBytes];
        for (int i = 0; i < src.Length; i++) src[i] = edges[rng.Next(edges.Length)];
        AssertSame(type, src, "boundary bytes");
        foreach (byte fill in new byte[] { 0x00, 0xFF, 0x11, 0x88 })
            AssertSame(type, Enumerable.Repeat(fill, 4 * info.BlockBytes).ToArray(), $"every byte {fill:X2}");
    }

    [Fact]
    public void EveryF16CodeEqualsTheTwin()
    {
        byte[] src = new byte[2 * 65536];
        for (int c = 0; c < 65536; c++) BitConverter.TryWriteBytes(src.AsSpan(2 * c), (ushort)c);
        AssertSame(GgmlType.F16, src, "all codes", nanBitsToo: true);
        AssertSame(GgmlType.BF16, src, "all codes", nanBitsToo: true);
    }

    [Fact]
    public void SizeErrorsAreTheTwinsErrors()
    {
        Assert.Throws<ArgumentException>(() => GgmlBlocksFast.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => GgmlBlocksFast.Dequantize(GgmlType.MXFP4, new byte[17], new float[31]));
        Assert.Throws<ArgumentException>(() => GgmlBlocksFast.Dequantize(GgmlType.IQ3_S, new byte[109], new float[256]));
        Assert.Throws<ArgumentException>(() => GgmlBlocksFast.Dequantize(GgmlType.F16, new byte[5], new float[3]));
    }
}
