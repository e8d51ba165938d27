// Float -> ggml blocks: every quantiser decodes back (through the bit-identical dequantiser) within
// its format's rounding bound, keeps zeros and exact code-book values, and the lossless FP4 -> MXFP4
// repacking gives the official e2m1 x 2^k values exactly. (Byte equality with ggml's own quantiser
// is tested on ggml's vectors in SharpSeek.Formats.Tests.)
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Tests;

public sealed class GgmlQuantizeTests
{
    [Theory]
    // Q8_0: half a step of d = amax/127, plus 127 x the f16 rounding of d (2^-11 relative).
    [InlineData(GgmlType.Q8_0, 0.57 / 127)]
    // Q4_0: codes -8..7 of d = max/-8: the largest magnitude is exact, the other sign may clip by one step.
    [InlineData(GgmlType.Q4_0, 1.01 / 8)]
    [InlineData(GgmlType.MXFP4, 0.25)]
    // Q4_1 / Q5_1: 16 / 32 levels over [min, max] (the range is up to 2 amax); Q5_0: codes -16..15 of d = max/-16.
    [InlineData(GgmlType.Q4_1, 2.02 / 15 / 2 + 0.01)]
    [InlineData(GgmlType.Q5_1, 2.02 / 31 / 2 + 0.01)]
    [InlineData(GgmlType.Q5_0, 1.01 / 16)]
    // Q4_K: 16 levels over each 32-value sub-block's [min, max] with 6-bit scales and mins (half a step is ~amax/15).
    [InlineData(GgmlType.Q4_K, 0.15)]
    // Q3_K: 8 signed levels over each 16-value sub-block with 6-bit scales: a coarse bound.
    [InlineData(GgmlType.Q3_K, 0.3)]
    // Q5_K: 32 levels over each 32-value sub-block's [min, max] with 6-bit scales and mins.
    [InlineData(GgmlType.Q5_K, 0.08)]
    // Q6_K: 64 levels over each 16-value sub-block with 8-bit scales.
    [InlineData(GgmlType.Q6_K, 0.04)]
    // IQ4_NL / IQ4_XS: a 16-value non-linear code book per 32 values (steps up to ~24/127 of the scale near the ends).
    [InlineData(GgmlType.IQ4_NL, 0.12)]
    [InlineData(GgmlType.IQ4_XS, 0.15)]
    // Q2_K: 4 levels over each 16-value sub-block, scales in 4 bits: a coarse bound, a sanity check only.
    [InlineData(GgmlType.Q2_K, 0.75)]
    [InlineData(GgmlType.F16, 1.0 / 2048)]
    [InlineData(GgmlType.BF16, 1.0 / 256)]
    [InlineData(GgmlType.F32, 0)]
    public void RoundTripStaysWithinTheBlockBound(GgmlType type, double bound)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random((int)type);
        // f16 block scales: above ~0.01 the scale is a normal f16 (6.1e-5 x 127 < 0.01); below, the
        // subnormal scale adds its own rounding (covered by the product tests' extreme blocks).
        foreach (double scale in new[] { 0.05, 1.0, 3e3 })
        {
            float[] x = new float[256 * 2];
            for (int i = 0; i < x.Length; i++) x[i] = (float)((rng.NextDouble() * 2 - 1) * scale * (i % 7 == 0 ? 10 : 1));
            for (int i = 0; i < 32; i++) x[5 * 32 + i] = 0;   // an all-zero block
            byte[] q = new byte[x.Length / info.BlockElements * info.BlockBytes];
            GgmlQuantize.Quantize(type, x, q);
            float[] y = new float[x.Length];
            GgmlBlocks.Dequantize(type, q, y);
            for (int b = 0; b < x.Length / 32; b++)
            {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(x[32 * b + j]));
                for (int j = 0; j < 32; j++)
                {
                    int i = 32 * b + j;
                    double allowed = type is GgmlType.F16 or GgmlType.BF16 or GgmlType.F32 ? bound * Math.Abs(x[i]) : bound * amax * 1.0001;
                    Assert.True(Math.Abs(y[i] - x[i]) <= allowed + (type == GgmlType.F16 ? Math.Pow(2, -25) : 1e-12), $"{info.Name} scale {scale} value {i}: {x[i]:R} -> {y[i]:R}");
                }
            }
            Assert.All(y.AsSpan(5 * 32, 32).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Fp4ExpertsRepackToMxfp4Exactly()
    {
        var rng = new Random(7);
        const int cols = 32 * 5;
        byte[] packed = new byte[cols / 2], scales = new byte[cols / 32];
        rng.NextBytes(packed);
        for (int i = 0; i < scales.Length; i++) scales[i] = (byte)rng.Next(100, 150);
        byte[] mx = new byte[cols / 32 * 17];
        GgmlQuantize.Mxfp4FromE2M1(packed, scales, mx);
        float[] got = new float[cols];
        GgmlBlocks.Dequantize(GgmlType.MXFP4, mx, got);
        for (int i = 0; i < cols; i++)
        {
            int code = (i & 1) == 0 ? packed[i / 2] & 0xF : packed[i / 2] >> 4;
            float want = Fp4E2M1.Table[code] * Fp8E8M0.Decode(scales[i / 32]);
            Assert.Equal(want, got[i]);
        }
    }

    // Grid formats: relative RMS error over Gaussian blocks (sqrt(sum (y - x)^2 / sum x^2)). Lower
    // bound: no code of R bits per value beats the Gaussian rate-distortion limit 2^-R (R = the format's
    // bits per weight, scale bits included, so the true limit is lower still). Upper bound: the
    // error measured when the quantisers were written (0.49, 0.46, 0.35, 0.30, 0.25, 0.19, 0.14 in this
    // order) plus 10%, a regression guard; for scale, Lloyd-Max scalar quantisers of a Gaussian give
    // 0.44 (3 levels), 0.34 (4) and 0.19 (8).
    [Theory]
    [InlineData(GgmlType.IQ1_S, 1.5625, 0.54)]
    [InlineData(GgmlType.IQ1_M, 1.75, 0.51)]
    [InlineData(GgmlType.IQ2_XXS, 2.0625, 0.385)]
    [InlineData(GgmlType.IQ2_XS, 2.3125, 0.335)]
    [InlineData(GgmlType.IQ2_S, 2.5625, 0.28)]
    [InlineData(GgmlType.IQ3_XXS, 3.0625, 0.205)]
    [InlineData(GgmlType.IQ3_S, 3.4375, 0.155)]
    public void GridFormatsRoundTripWithinTheirErrorBand(GgmlType type, double bitsPerWeight, double maxRelRms)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        Assert.Equal(bitsPerWeight, 8.0 * info.BlockBytes / info.BlockElements);
        var rng = new Random((int)type);
        const int n = 256 * 16;
        float[] importance = new float[1024];
        for (int i = 0; i < importance.Length; i++) importance[i] = (float)(0.5 + rng.NextDouble());
        foreach (double scale in new[] { 0.02, 1.0, 3e3 })
        {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            for (int i = 0; i < 256; i++) x[3 * 256 + i] = 0;   // an all-zero block
            byte[] q = new byte[n / 256 * info.BlockBytes];
            GgmlQuantize.Quantize(type, x, q, importance);
            float[] y = new float[n];
            GgmlBlocks.Dequantize(type, q, y);
            double err = 0, norm = 0;
            for (int i = 0; i < n; i++) { err += (y[i] - x[i]) * (double)(y[i] - x[i]); norm += x[i] * (double)x[i]; }
            double rel = Math.Sqrt(err / norm);
            Assert.True(rel >= Math.Pow(2, -bitsPerWeight) && rel <= maxRelRms, $"{info.Name} scale {scale}: relative RMS error {rel:F4} outside [{Math.Pow(2, -bitsPerWeight):F4}, {maxRelRms}]");
            Assert.All(y.AsSpan(3 * 256, 256).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [InlineData(GgmlType.IQ2_XXS)]
    [InlineData(GgmlType.IQ2_XS)]
    [InlineData(GgmlType.IQ1_S)]
    public void GridFormatsGgmlRefusesWithoutImportanceNeedOne(GgmlType type)
    {
        var e = Assert.Throws<ArgumentException>(() => GgmlQuantize.Quantize(type, new float[256], new byte[GgmlTypes.Info(type).BlockBytes]));
        Assert.Contains(GgmlTypes.Info(type).Name, e.Message);
        Assert.Contains("importance matrix", e.Message);
    }

    // Importance zero over whole groups (an imatrix column of an expert that never fired): ggml divides
    // 0/0 or aborts there; ours either writes blocks or ends in a clear InvalidOperationException, never
    // an index or arithmetic fault.
    [Theory]
    [InlineData(GgmlType.IQ1_S)]
    [InlineData(GgmlType.IQ1_M)]
    [InlineData(GgmlType.IQ2_XXS)]
    [InlineData(GgmlType.IQ2_XS)]
    [InlineData(GgmlType.IQ2_S)]
    [InlineData(GgmlType.IQ3_XXS)]
    [InlineData(GgmlType.IQ3_S)]
    public void ZeroImportanceEndsInBlocksOrAClearError(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random(5);
        float[] x = new float[512], importance = new float[512];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 256; i < 512; i++) importance[i] = 1;   // the first block's importance is all zero
        byte[] q = new byte[2 * info.BlockBytes];
        try { GgmlQuantize.Quantize(type, x, q, importance); }
        catch (InvalidOperationException e) { Assert.Contains("importance", e.Message); return; }
        float[] y = new float[512];
        GgmlBlocks.Dequantize(type, q, y);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void AnImportanceRowMustTileTheValues()
    {
        var e = Assert.Throws<ArgumentException>(() => GgmlQuantize.Quantize(GgmlType.IQ2_S, new float[512], new byte[164], new float[384]));
        Assert.Contains("importance", e.Message);
    }

    [Fact]
    public void UnsupportedTypesAndSizesAreRefusedByName()
    {
        var e = Assert.Throws<NotSupportedException>(() => GgmlQuantize.Quantize(GgmlType.TQ2_0, new float[256], new byte[66]));
        Assert.Contains("TQ2_0", e.Message);
        Assert.Throws<ArgumentException>(() => GgmlQuantize.Quantize(GgmlType.Q8_0, new float[31], new byte[34]));
        Assert.Throws<ArgumentException>(() => GgmlQuantize.Quantize(GgmlType.Q8_0, new float[32], new byte[33]));
    }

    [Fact]
    public void ImportanceRowsMustBeWholeBlocksAndDivideTheValues()
    {
        // an importance row of 128 is not a whole Q4_K block; 64 values (two Q4_0 blocks) do not divide 96 into rows
        var e = Assert.Throws<ArgumentException>(() => GgmlQuantize.Quantize(GgmlType.Q4_K, new float[512], new byte[288], new float[128]));
        Assert.Contains("128", e.Message);
        Assert.Throws<ArgumentException>(() => GgmlQuantize.Quantize(GgmlType.Q4_0, new float[96], new byte[54], new float[64]));
    }

    [Fact]
    public void UniformImportanceStillQuantisesCloseAndZerosStayZero()
    {
        // rows of 512: the _impl paths with a flat importance stay within the format's usual error, and an all-zero row encodes zeros
        var rng = new Random(7);
        float[] x = new float[1024];
        for (int i = 0; i < 512; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        float[] w = Enumerable.Repeat(1f, 512).ToArray();
        foreach (GgmlType type in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.IQ4_NL, GgmlType.IQ4_XS })
        {
            GgmlTypeInfo info = GgmlTypes.Info(type);
            byte[] q = new byte[x.Length / info.BlockElements * info.BlockBytes];
            GgmlQuantize.Quantize(type, x, q, w);
            float[] back = new float[x.Length];
            GgmlBlocks.Dequantize(type, q, back);
            double err = 0;
            for (int i = 0; i < 512; i++) err = Math.Max(err, Math.Abs(back[i] - x[i]));
            Assert.True(err < 0.45, $"{type}: max error {err}");
            for (int i = 512; i < 1024; i++) Assert.Equal(0f, back[i]);
        }
    }
}
