// The indexer's entry score: the float path against the scalar twin evaluated in double (odd head
// counts and dims), and double running the twin itself.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class IndexScoreTests
{
    /// <summary>(heads, d): odd head counts and dims, a tail of one head group, V4's 16 x 128.</summary>
    public static TheoryData<int, int> Shapes() => new() { { 1, 1 }, { 3, 17 }, { 4, 32 }, { 5, 128 }, { 16, 128 }, { 7, 300 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FloatMatchesTheTwin(int heads, int d)
    {
        var rng = new Random(heads * 13 + d);
        for (int trial = 0; trial < 40; trial++)
        {
            float[] q = TestWeights.RandomFloats(heads * d, rng), w = TestWeights.RandomFloats(heads, rng), k = TestWeights.RandomFloats(d, rng);
            float got = IndexScore.Score<float>(q, w, k);
            double want = IndexScoreReference.Score<double>(Array.ConvertAll(q, v => (double)v), Array.ConvertAll(w, v => (double)v), Array.ConvertAll(k, v => (double)v));
            double mag = 0;
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < d; i++) mag += Math.Abs(w[h] * q[h * d + i] * k[i]);
            // A dot within rounding of zero may be kept by one side only: allow for it in the bound.
            Assert.True(Math.Abs(got - want) <= 1e-5 * mag + 1e-6, $"heads {heads} d {d} trial {trial}: {got} vs {want}");
        }
    }

    [Fact]
    public void DoubleRunsTheTwin()
    {
        double[] q = [1, -2, 3, 0.5, 0.25, -1], w = [0.5, 2], k = [1, 1, 1];
        Assert.Equal(IndexScoreReference.Score<double>(q, w, k), IndexScore.Score<double>(q, w, k));
        Assert.Equal(0.5 * 2 + 0, IndexScore.Score<double>(q, w, k));   // head 1: dot -0.25 is dropped
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ScoreManyEqualsScorePerKeyBitForBit(int heads, int d)
    {
        var rng = new Random(heads * 31 + d);
        foreach (int n in new[] { 0, 1, 3, 4, 5, 8, 13 })
        {
            float[] q = TestWeights.RandomFloats(heads * d, rng), w = TestWeights.RandomFloats(heads, rng), keys = TestWeights.RandomFloats(n * d, rng);
            var many = new float[n];
            IndexScore.ScoreMany<float>(q, w, keys, d, many);
            for (int j = 0; j < n; j++)
                Assert.Equal(IndexScore.Score<float>(q, w, keys.AsSpan(j * d, d)), many[j]);
            var twin = new double[n];
            IndexScore.ScoreMany<double>(Array.ConvertAll(q, v => (double)v), Array.ConvertAll(w, v => (double)v), Array.ConvertAll(keys, v => (double)v), d, twin);
            for (int j = 0; j < n; j++)
                Assert.Equal(IndexScoreReference.Score<double>(Array.ConvertAll(q, v => (double)v), Array.ConvertAll(w, v => (double)v), Array.ConvertAll(keys[(j * d)..((j + 1) * d)], v => (double)v)), twin[j]);
        }
    }
}
