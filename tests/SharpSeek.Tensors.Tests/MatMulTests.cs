// Fast MatMul.ForwardF32 against the scalar twin MatMulReference for every weight format, tokens
// 1..9, odd shapes and partial FP8 blocks. Tolerance: fp32 accumulation order, 1e-5 of sum |x w|.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class MatMulTests
{
    public static TheoryData<WeightFormat, int, int> Shapes()
    {
        var d = new TheoryData<WeightFormat, int, int>();
        foreach (var f in new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Fp8Block128 })
            foreach (var (r, c) in new[] { (1, 1), (3, 7), (5, 17), (13, 129), (131, 255), (257, 1031), (7, 2053), (130, 300) })
                d.Add(f, r, c);
        foreach (var (r, c) in new[] { (1, 32), (3, 64), (5, 96), (13, 160), (131, 1056), (7, 2080), (9, 32) })
        {
            d.Add(WeightFormat.Fp4Block32, r, c);
            d.Add(WeightFormat.Int8Block32, r, c);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FastEqualsReference(WeightFormat format, int rows, int cols)
    {
        var rng = new Random(rows * 7919 + cols);
        var w = TestWeights.Make(format, rows, cols, rng);
        foreach (int tokens in new[] { 1, 2, 3, 4, 5, 8, 9 })
        {
            var x = TestWeights.RandomFloats(tokens * cols, rng);
            var yFast = new float[tokens * rows];
            var yRef = new float[tokens * rows];
            MatMul.ForwardF32(x, w, yFast, tokens);
            MatMulReference.Forward<float>(x, w, yRef, tokens);
            AssertClose(w, x, yFast, yRef, tokens);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ATokenInABatchEqualsTheTokenAloneBitForBit(WeightFormat format, int rows, int cols)
    {
        var rng = new Random(rows * 104729 + cols);
        var w = TestWeights.Make(format, rows, cols, rng);
        const int tokens = 11;   // blocks of 4, 4, 2 and 1
        var x = TestWeights.RandomFloats(tokens * cols, rng);
        var all = new float[tokens * rows];
        MatMul.ForwardF32(x, w, all, tokens);
        var one = new float[rows];
        for (int t = 0; t < tokens; t++)
        {
            MatMul.ForwardF32(x.AsSpan(t * cols, cols), w, one, 1);
            Assert.True(one.AsSpan().SequenceEqual(all.AsSpan(t * rows, rows)), $"{format} [{rows}x{cols}] token {t} differs alone");
        }
    }

    /// <summary>|fast - ref| <= 1e-5 * sum_i |x_i w_i| for every output (both sum in fp32, in different orders).</summary>
    private static void AssertClose(WeightMatrix w, float[] x, float[] yFast, float[] yRef, int tokens)
    {
        int rows = w.Rows, cols = w.Cols;
        var row = new float[cols];
        for (int o = 0; o < rows; o++)
        {
            w.DecodeRow(o, row);
            for (int t = 0; t < tokens; t++)
            {
                double mag = 0;
                for (int i = 0; i < cols; i++) mag += Math.Abs((double)x[t * cols + i] * row[i]);
                double diff = Math.Abs(yFast[t * rows + o] - yRef[t * rows + o]);
                Assert.True(diff <= 1e-5 * mag + 1e-30, $"{w.Format} [{rows}x{cols}] T={tokens} t={t} o={o}: fast {yFast[t * rows + o]} ref {yRef[t * rows + o]}");
            }
        }
    }

    [Fact]
    public void GenericFloatPathMatchesForwardF32AndDoubleRunsReference()
    {
        var rng = new Random(5);
        var w = TestWeights.Make(WeightFormat.Fp8Block128, 9, 200, rng);
        var x = TestWeights.RandomFloats(3 * 200, rng);
        var a = new float[27];
        var b = new float[27];
        MatMul.Forward<float>(x, w, a, 3);
        MatMul.ForwardF32(x, w, b, 3);
        Assert.Equal(a, b);
        var xd = Array.ConvertAll(x, v => (double)v);
        var yd = new double[27];
        var yr = new double[27];
        MatMul.Forward<double>(xd, w, yd, 3);
        MatMulReference.Forward<double>(xd, w, yr, 3);
        Assert.Equal(yr, yd);
    }

    [Fact]
    public void LargeProductTakesParallelPathAndAgrees()
    {
        var rng = new Random(11);
        foreach (var f in new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Fp8Block128, WeightFormat.Fp4Block32, WeightFormat.Int8Block32 })
        {
            var w = TestWeights.Make(f, 1030, 1024, rng);
            var x = TestWeights.RandomFloats(1024, rng);
            var yFast = new float[1030];
            var yRef = new float[1030];
            MatMul.ForwardF32(x, w, yFast, 1);
            MatMulReference.Forward<float>(x, w, yRef, 1);
            AssertClose(w, x, yFast, yRef, 1);
        }
    }

    [Fact]
    public void NanCodesPropagateLikeTheReference()
    {
        var rng = new Random(3);
        var w = TestWeights.Make(WeightFormat.Fp8Block128, 5, 140, rng, allowNan: true);
        var x = TestWeights.RandomFloats(140, rng);
        var yFast = new float[5];
        var yRef = new float[5];
        MatMul.ForwardF32(x, w, yFast, 1);
        MatMulReference.Forward<float>(x, w, yRef, 1);
        for (int o = 0; o < 5; o++) Assert.Equal(float.IsNaN(yRef[o]), float.IsNaN(yFast[o]));
    }

    [Fact]
    public void EmptyShapes()
    {
        var w = WeightMatrix.FromFloats("w", [], 3, 0);
        var y = new float[] { 1, 2, 3 };
        MatMul.ForwardF32([], w, y, 1);
        Assert.Equal(new float[3], y);
        MatMul.ForwardF32([], w, y, 0);
    }
}
