// The indexer's selection over many compressed entries (the long-context path: chunks of keys spread
// over the worker team) against the plain definition: every score equals IndexScore.Score of the
// stored key, and the chosen entries are the top-k of those scores, best first.
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;
using SharpSeek.Model.Tests.Golden;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Tests;

public sealed class IndexerSelectTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(200)]
    [InlineData(1001)]
    public void ScoresAndChoicesFollowTheDefinition(int visible)
    {
        var m = fx.Model.F32;
        int layer = Array.FindIndex(m.Layers, b => b.Attn.Indexer is not null);
        Indexer<float> indexer = m.Layers[layer].Attn.Indexer!;
        var state = new SequenceState<float>(m.Config);
        IAttentionMemory<float> memory = state.Memory(layer);
        int d = m.Config.IndexHeadDim, h = indexer.Heads;
        var rng = new Random(visible);
        var stored = new float[visible * d];
        for (int j = 0; j < visible; j++)
        {
            var key = new float[d];
            for (int i = 0; i < d; i++) key[i] = (float)(rng.NextDouble() * 2 - 1);
            memory.AppendIndexKey(j, key);
            memory.ReadIndexKey(j, stored.AsSpan(j * d, d));   // the key as stored (FP4)
        }
        var q = new float[h * d];
        var w = new float[h];
        for (int i = 0; i < q.Length; i++) q[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < h; i++) w[i] = (float)rng.NextDouble();
        var scores = new float[visible];
        var chosen = new int[visible];
        int n = indexer.Select(q, w, memory, visible, scores, chosen);
        Assert.Equal(Math.Min(indexer.TopK, visible), n);
        for (int j = 0; j < visible; j++) Assert.Equal(IndexScore.Score<float>(q, w, stored.AsSpan(j * d, d)), scores[j]);
        int[] want = Enumerable.Range(0, visible).OrderByDescending(j => scores[j]).ThenBy(j => j).Take(n).ToArray();
        Assert.Equal(want.Select(j => scores[j]), chosen[..n].Select(j => scores[j]));
    }
}
