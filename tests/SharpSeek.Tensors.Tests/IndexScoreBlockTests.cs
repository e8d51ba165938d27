// The indexer's block scoring (queries x keys in register tiles, 16 and 8 lanes) against its scalar twin bit for bit:
// query counts that are not a multiple of the 4-query tile, key counts that are not a multiple of the
// 4- or 16-key tiles, heads not a multiple of the 16 lanes (4 as v4-tiny, 16 as V4, 64 as V4-Flash),
// causal visibility (every query its own count, some none); and the twin against the reference formula.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class IndexScoreBlockTests
{
    /// <summary>(heads, d): one lane, a partial lane group, V4's 16 x 128, several lane groups, odd widths.</summary>
    public static TheoryData<int, int> Shapes() => new() { { 1, 1 }, { 4, 128 }, { 3, 17 }, { 16, 128 }, { 17, 33 }, { 64, 128 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsTheTwinBitForBit(int heads, int d)
    {
        var rng = new Random(heads * 101 + d);
        foreach (int queries in new[] { 1, 2, 3, 4, 5, 7, 9 })
            foreach (int n in new[] { 1, 3, 4, 15, 16, 17, 37 })
            {
                // Causal edges: the last query sees all n keys, earlier ones fewer, the first possibly none.
                int[] counts = Enumerable.Range(0, queries).Select(t => Math.Max(0, n - (queries - 1 - t) * (1 + t % 3))).ToArray();
                float[] q = TestWeights.RandomFloats(queries * heads * d, rng), w = TestWeights.RandomFloats(queries * heads, rng);
                float[] keys = TestWeights.RandomFloats(n * d, rng);
                int stride = n + 2;
                float[] got = Enumerable.Repeat(float.NaN, queries * stride).ToArray(), want = (float[])got.Clone();
                IndexScoreBlock.Score<float>(q, w, heads, keys, d, counts, got, stride);
                IndexScoreBlockReference.Score<float>(q, w, heads, keys, d, counts, want, stride);
                for (int i = 0; i < got.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(got[i]) == BitConverter.SingleToInt32Bits(want[i]),
                        $"heads {heads} d {d} queries {queries} keys {n}: value {i} (query {i / stride}, key {i % stride}) {got[i]} vs {want[i]}");
            }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EightLanesEqualTheTwinBitForBit(int heads, int d)
    {
        // The Vector256 path (machines without AVX-512), run here explicitly.
        if (!System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) return;
        var rng = new Random(heads * 37 + d);
        foreach (int queries in new[] { 1, 3, 5 })
            foreach (int n in new[] { 1, 15, 17, 37 })
            {
                int[] counts = Enumerable.Range(0, queries).Select(t => Math.Max(0, n - (queries - 1 - t) * 4)).ToArray();
                float[] q = TestWeights.RandomFloats(queries * heads * d, rng), w = TestWeights.RandomFloats(queries * heads, rng);
                float[] keys = TestWeights.RandomFloats(n * d, rng);
                float[] got = new float[queries * n], want = new float[queries * n];
                IndexScoreBlock.ScoreFloat(q, w, heads, keys, d, counts, got, n, lanes: 8);
                IndexScoreBlockReference.Score<float>(q, w, heads, keys, d, counts, want, n);
                for (int i = 0; i < got.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(got[i]) == BitConverter.SingleToInt32Bits(want[i]), $"heads {heads} d {d} queries {queries} keys {n}: value {i}");
            }
    }

    [Fact]
    public void AQueryAloneEqualsTheSameQueryInABlock()
    {
        const int heads = 16, d = 128, queries = 6, n = 45;
        var rng = new Random(3);
        float[] q = TestWeights.RandomFloats(queries * heads * d, rng), w = TestWeights.RandomFloats(queries * heads, rng), keys = TestWeights.RandomFloats(n * d, rng);
        int[] counts = [n - 5, n - 4, n - 3, n - 2, n - 1, n];
        var block = new float[queries * n];
        IndexScoreBlock.Score<float>(q, w, heads, keys, d, counts, block, n);
        for (int t = 0; t < queries; t++)
        {
            var alone = new float[counts[t]];
            IndexScoreBlock.Score<float>(q.AsSpan(t * heads * d, heads * d), w.AsSpan(t * heads, heads), heads, keys, d, [counts[t]], alone, counts[t]);
            Assert.Equal(alone, block.AsSpan(t * n, counts[t]).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheTwinIsTheReferenceFormula(int heads, int d)
    {
        var rng = new Random(heads + 7 * d);
        const int queries = 3, n = 5;
        double[] q = Array.ConvertAll(TestWeights.RandomFloats(queries * heads * d, rng), v => (double)v);
        double[] w = Array.ConvertAll(TestWeights.RandomFloats(queries * heads, rng), v => (double)v);
        double[] keys = Array.ConvertAll(TestWeights.RandomFloats(n * d, rng), v => (double)v);
        var got = new double[queries * n];
        IndexScoreBlock.Score<double>(q, w, heads, keys, d, [n, n, n], got, n);   // double runs the twin
        for (int t = 0; t < queries; t++)
            for (int j = 0; j < n; j++)
            {
                double want = IndexScoreReference.Score<double>(q.AsSpan(t * heads * d, heads * d), w.AsSpan(t * heads, heads), keys.AsSpan(j * d, d));
                double mag = 0;
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < d; i++) mag += Math.Abs(w[t * heads + h] * q[(t * heads + h) * d + i] * keys[j * d + i]);
                Assert.True(Math.Abs(got[t * n + j] - want) <= 1e-12 * mag + 1e-15, $"query {t} key {j}: {got[t * n + j]} vs {want}");
            }
    }

    [Fact]
    public void AHandComputedScore()
    {
        // Two heads of width 3, one key: head 0 dot 1 - 2 + 3 = 2 (kept, weight 0.5), head 1 dot -0.25 (dropped).
        float[] q = [1, -2, 3, 0.5f, 0.25f, -1], w = [0.5f, 2], k = [1, 1, 1];
        var got = new float[1];
        IndexScoreBlock.Score<float>(q, w, 2, k, 3, [1], got, 1);
        Assert.Equal(1f, got[0]);
        var twin = new double[1];
        IndexScoreBlock.Score<double>(Array.ConvertAll(q, v => (double)v), Array.ConvertAll(w, v => (double)v), 2, Array.ConvertAll(k, v => (double)v), 3, [1], twin, 1);
        Assert.Equal(1.0, twin[0]);
    }

    [Fact]
    public void BadShapesAreRefusedByName()
    {
        float[] q = new float[2 * 4 * 8], w = new float[2 * 4], keys = new float[5 * 8], scores = new float[2 * 5];
        Assert.Contains("key values", Assert.Throws<ArgumentException>(() => IndexScoreBlock.Score<float>(q, w, 4, keys, 8, [5, 6], new float[12], 6)).Message);
        Assert.Contains("do not fit", Assert.Throws<ArgumentException>(() => IndexScoreBlock.Score<float>(q, w, 4, keys, 8, [5, 5], scores, 6)).Message);
        Assert.Contains("query values", Assert.Throws<ArgumentException>(() => IndexScoreBlock.Score<float>(q, w, 4, keys, 8, [1, 1, 1], new float[30], 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexScoreBlock.Score<float>(q, w, 4, keys, 8, [-1, 1], scores, 5));
    }
}
