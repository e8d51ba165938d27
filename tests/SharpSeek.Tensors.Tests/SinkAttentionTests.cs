// Sink attention: the float fast path against the scalar twin (evaluated in double) for 0..300 keys
// and odd head dims; other precisions run the twin itself; the sink only ever lowers the weights.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class SinkAttentionTests
{
    private static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(65)]
    [InlineData(129)]
    public void FloatPathMatchesReference(int d)
    {
        var rng = new Random(11 + d);
        for (int n = 0; n <= 300; n++)
        {
            float[] q = TestWeights.RandomFloats(d, rng, 2), keys = TestWeights.RandomFloats(n * d, rng, 2);
            float sink = (float)(rng.NextDouble() * 4 - 2), scale = 1f / MathF.Sqrt(d);
            float[] o = new float[d], scores = new float[n];
            SinkAttention.Attend<float>(q, keys, scale, sink, scores, o);
            double[] want = new double[d];
            SinkAttentionReference.Attend<double>(ToDouble(q), ToDouble(keys), scale, sink, new double[n], want);
            for (int j = 0; j < d; j++)
                Assert.True(Math.Abs(want[j] - o[j]) <= 2e-6 * Math.Max(1, Math.Abs(want[j])), $"n={n} d={d} j={j}: expected {want[j]:R} got {o[j]:R}");
        }
    }

    [Fact]
    public void DoubleRunsTheReferenceExactly()
    {
        var rng = new Random(5);
        const int d = 33, n = 77;
        double[] q = ToDouble(TestWeights.RandomFloats(d, rng, 1)), keys = ToDouble(TestWeights.RandomFloats(n * d, rng, 1));
        double[] a = new double[d], b = new double[d];
        SinkAttention.Attend<double>(q, keys, 0.25, 0.5, new double[n], a);
        SinkAttentionReference.Attend<double>(q, keys, 0.25, 0.5, new double[n], b);
        Assert.Equal(b, a);
    }

    [Fact]
    public void NoKeysGiveZeroAndTheSinkShrinksTheOutput()
    {
        float[] o = [9, 9, 9];
        SinkAttention.Attend<float>([1, 2, 3], [], 1f, 0f, [], o);
        Assert.Equal([0f, 0f, 0f], o);
        // One key equal to the query direction: without a sink o = k; with sink s the weight is 1 / (1 + e^(sink - s)).
        float[] k = [1, 0, 0];
        SinkAttention.Attend<float>([2, 0, 0], k, 1f, 2f, new float[1], o);
        Assert.Equal(0.5f, o[0], 6);
        SinkAttention.Attend<float>([2, 0, 0], k, 1f, -1000f, new float[1], o);
        Assert.Equal(1f, o[0], 6);
    }

    [Fact]
    public void ShapeMismatchesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => SinkAttention.Attend<float>([1, 2], [1, 2, 3], 1f, 0f, new float[2], new float[2]));
        Assert.Throws<ArgumentException>(() => SinkAttention.Attend<float>([1, 2], [1, 2, 3, 4], 1f, 0f, new float[1], new float[2]));
        Assert.Throws<ArgumentException>(() => SinkAttention.Attend<float>([1, 2], [1, 2], 1f, 0f, new float[1], new float[1]));
    }
}
