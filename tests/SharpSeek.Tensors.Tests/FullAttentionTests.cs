// FullAttention (flash-style, online softmax) against its scalar twin on odd shapes, and the exact GELU's erf against known values.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public sealed class FullAttentionTests
{
    [Theory]
    [InlineData(1, 1, 4)]
    [InlineData(7, 2, 16)]
    [InlineData(37, 3, 8)]
    [InlineData(FullAttention.QueryBlock + 45, 2, 8)]   // more than one block of query rows
    [InlineData(FullAttention.KeyBlock + 37, 2, 64)]    // two key blocks: the online rescale
    [InlineData(2 * FullAttention.KeyBlock + 91, 3, 40)] // three key blocks, a head dim with a column tail
    [InlineData(300, 1, 72, 8.0)]                        // large scores: the running max moves between key blocks
    public void Float32EqualsScalarTwin(int n, int heads, int headDim, double range = 2)
    {
        var rng = new Random(n * 31 + heads);
        int stride = 3 * heads * headDim;   // q | k | v rows, as the ViT lays them out
        float[] qkv = Enumerable.Range(0, n * stride).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray();
        var fast = new float[n * heads * headDim];
        var plain = new float[n * heads * headDim];
        int d = heads * headDim;
        FullAttention.Forward<float>(qkv, qkv.AsSpan(d), qkv.AsSpan(2 * d), stride, n, heads, headDim, fast);
        FullAttentionReference.Forward<float>(qkv, qkv.AsSpan(d), qkv.AsSpan(2 * d), stride, n, heads, headDim, plain);
        // the scores' rounding grows with their size (|s| up to range^2 sqrt(d)): the tolerance with it
        float tol = 1e-5f * (float)Math.Max(1, range * range / 4);
        for (int i = 0; i < fast.Length; i++) Assert.True(Math.Abs(fast[i] - plain[i]) <= tol + tol * Math.Abs(plain[i]), $"[{i}] {fast[i]} vs {plain[i]}");
    }

    [Fact]
    public void SingleKeyReturnsItsValueAndUniformScoresAverage()
    {
        // one position: softmax of one score is 1, so the output is v
        float[] q = [1, 2], k = [3, 4], v = [5, -6];
        var o = new float[2];
        FullAttention.Forward<float>(q, k, v, 2, 1, 1, 2, o);
        Assert.Equal(v, o);
        // zero queries: every key weighs 1/n, the output is the mean of the values
        double[] q2 = new double[3 * 2], k2 = [1, 2, 3, 4, 5, 6], v2 = [1, 10, 2, 20, 6, 60];
        var o2 = new double[6];
        FullAttention.Forward<double>(q2, k2, v2, 2, 3, 1, 2, o2);
        Assert.Equal(3, o2[0], 12);
        Assert.Equal(30, o2[1], 12);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.52049987781304654)]
    [InlineData(1.0, 0.84270079294971487)]
    [InlineData(-2.0, -0.99532226501895273)]
    [InlineData(2.9, 0.9999589021219005)]
    [InlineData(3.0, 0.99997790950300136)]
    [InlineData(4.5, 0.99999999980338394)]
    public void ErfMatchesKnownValues(double x, double erf)
        => Assert.Equal(erf, ErfReference.Erf(x), 14);

    [Fact]
    public void GeluIsExactErfGelu()
    {
        // torch.nn.functional.gelu(torch.tensor(1.0, dtype=float64)) = 0.8413447460685429
        Assert.Equal(0.8413447460685429, ErfReference.Gelu(1.0), 14);
        var y = new double[1];
        Gelu.Forward<double>([-3.0], y);
        Assert.Equal(-0.00404969409489031, y[0], 13);
    }
}
