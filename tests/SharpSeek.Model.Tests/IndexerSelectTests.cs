// The indexer's selection over many compressed entries (chunks of keys spread over the worker team, many
// query tokens at once) against the plain definition: every score equals the scalar twin's score of the
// stored key, the chosen entries are the top-k of those scores, best first, and a token scored alone
// equals the same token scored among others (bit for bit).
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;
using SharpSeek.Model.Tests.Golden;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Model.Tests;

public sealed class IndexerSelectTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(63, 1)]
    [InlineData(200, 1)]
    [InlineData(1001, 1)]
    [InlineData(75, 7)]
    [InlineData(300, 13)]
    public void ScoresAndChoicesFollowTheDefinition(int visible, int queries)
    {
        var m = fx.Model.F32;
        int layer = Array.FindIndex(m.Layers, b => b.Attn.Indexer is not null);
        Indexer<float> indexer = m.Layers[layer].Attn.Indexer!;
        var state = new SequenceState<float>(m.Config);
        IAttentionMemory<float> memory = state.Memory(layer);
        int d = m.Config.IndexHeadDim, h = indexer.Heads, k = indexer.TopK;
        var rng = new Random(visible * 7 + queries);
        var stored = new float[visible * d];
        for (int j = 0; j < visible; j++)
        {
            var key = new float[d];
            for (int i = 0; i < d; i++) key[i] = (float)(rng.NextDouble() * 2 - 1);
            memory.AppendIndexKey(j, key);
            memory.ReadIndexKey(j, stored.AsSpan(j * d, d));   // the key as stored (FP4)
        }
        // Causal visibility: the last query sees every entry, earlier ones fewer (down to none).
        int[] seen = Enumerable.Range(0, queries).Select(t => Math.Max(0, visible - (queries - 1 - t) * 5)).ToArray();
        var q = new float[queries * h * d];
        var w = new float[queries * h];
        for (int i = 0; i < q.Length; i++) q[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble();
        var scores = new float[queries * visible];
        var chosen = new int[queries * k];
        indexer.SelectMany(q, w, memory, seen, new float[visible * d], scores, visible, chosen, k, scoreAll: true);
        for (int t = 0; t < queries; t++)
        {
            int n = Math.Min(k, seen[t]);
            var want = new float[seen[t]];
            IndexScoreBlockReference.Score<float>(q.AsSpan(t * h * d, h * d), w.AsSpan(t * h, h), h, stored, d, [seen[t]], want, seen[t]);
            Assert.Equal(want, scores.AsSpan(t * visible, seen[t]).ToArray());
            int[] best = Enumerable.Range(0, seen[t]).OrderByDescending(j => want[j]).ThenBy(j => j).Take(n).ToArray();
            Assert.Equal(best, chosen.AsSpan(t * k, n).ToArray());
            // The same token alone
            var alone = new float[Math.Max(1, seen[t])];
            var aloneChosen = new int[k];
            indexer.SelectMany(q.AsSpan(t * h * d, h * d), w.AsSpan(t * h, h), memory, [seen[t]], new float[seen[t] * d], alone, seen[t], aloneChosen, k, scoreAll: true);
            Assert.Equal(want, alone.AsSpan(0, seen[t]).ToArray());
            Assert.Equal(best, aloneChosen.AsSpan(0, n).ToArray());
        }
    }

    [Fact]
    public void WithoutScoresATokenThatSeesAtMostTopKPicksEverything()
    {
        var m = fx.Model.F32;
        int layer = Array.FindIndex(m.Layers, b => b.Attn.Indexer is not null);
        Indexer<float> indexer = m.Layers[layer].Attn.Indexer!;
        var state = new SequenceState<float>(m.Config);
        IAttentionMemory<float> memory = state.Memory(layer);
        int d = m.Config.IndexHeadDim, h = indexer.Heads, k = indexer.TopK, visible = k + 3;
        var rng = new Random(5);
        for (int j = 0; j < visible; j++) memory.AppendIndexKey(j, Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());
        int[] seen = [k - 1, k, k + 3];
        var q = Enumerable.Range(0, 3 * h * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, 3 * h).Select(_ => (float)rng.NextDouble()).ToArray();
        var lazy = new int[3 * k];
        var full = new int[3 * k];
        indexer.SelectMany(q, w, memory, seen, new float[visible * d], new float[3 * visible], visible, lazy, k, scoreAll: false);
        indexer.SelectMany(q, w, memory, seen, new float[visible * d], new float[3 * visible], visible, full, k, scoreAll: true);
        Assert.Equal(Enumerable.Range(0, k - 1), lazy[..(k - 1)]);
        Assert.Equal(Enumerable.Range(0, k), lazy[k..(2 * k)]);
        for (int t = 0; t < 2; t++) Assert.Equal(full.AsSpan(t * k, seen[t]).ToArray().Order(), lazy.AsSpan(t * k, seen[t]).ToArray());
        Assert.Equal(full[(2 * k)..], lazy[(2 * k)..]);                      // past top-k: scored either way
    }
}
