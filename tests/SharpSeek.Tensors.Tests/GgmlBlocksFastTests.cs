// The vectorised ggml block decoding equals its scalar twin (GgmlBlocks) bit for bit on random
// blocks — every byte value, so f16 scales include subnormals, infinities and NaNs — for 0..40 blocks.
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Tests;

public sealed class GgmlBlocksFastTests
{
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.MXFP4)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q2_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.IQ2_XXS)]
    public void VectorPathEqualsTheScalarTwin(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random((int)type);
        for (int blocks = 0; blocks <= 40; blocks++)
        {
            byte[] src = new byte[blocks * info.BlockBytes];
            rng.NextBytes(src);
            float[] fast = new float[blocks * info.BlockElements], twin = new float[fast.Length];
            GgmlBlocksFast.Dequantize(type, src, fast);
            GgmlBlocks.Dequantize(type, src, twin);
            for (int i = 0; i < fast.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(twin[i]) || (float.IsNaN(fast[i]) && float.IsNaN(twin[i])),
                    $"{type} element {i} of {blocks} blocks: {fast[i]:R} vs {twin[i]:R}");
        }
    }

    [Fact]
    public void SizeErrorsAreTheTwinsErrors()
    {
        Assert.Throws<ArgumentException>(() => GgmlBlocksFast.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => GgmlBlocksFast.Dequantize(GgmlType.MXFP4, new byte[17], new float[31]));
    }
}
