// Pipeline parallel: the layer split, that a stage maps only its layers (and the embedding / head
// where they live), and that N stages' logits equal one process's bit for bit (prefill, decode, a
// batch of sequences, the MTP draft), in f32 and f64.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Tests.Distributed;

public sealed class PipelineParallelTests
{
    private static ModelConfig TinyConfig => TinyRun.Config;
    private static ModelConfig FlashConfig => ModelConfig.Load(Fixtures.Path("v4-flash", "config.json"));
    private static readonly int[] Prompt = TinyRun.Prompt;

    [Theory]
    [InlineData(4, 1)] [InlineData(4, 2)] [InlineData(4, 3)] [InlineData(4, 4)] [InlineData(43, 4)] [InlineData(43, 8)] [InlineData(43, 43)]
    public void StagesCoverEveryLayerOnceInOrder(int layers, int ranks)
    {
        var config = layers == 4 ? TinyConfig : FlashConfig;
        int[] b = PipelineSplit.Boundaries(config, ranks);
        Assert.Equal(ranks + 1, b.Length);
        Assert.Equal(0, b[0]);
        Assert.Equal(layers, b[^1]);
        for (int r = 0; r < ranks; r++) Assert.True(b[r + 1] > b[r], $"rank {r} has no layer: [{string.Join(", ", b)}]");
    }

    [Fact]
    public void TheSplitIsNoWorseThanEqualLayerCounts()
    {
        var flash = FlashConfig;
        var (perLayer, first, last) = PipelineSplit.Bytes(flash);
        long Worst(int[] b) => Enumerable.Range(0, b.Length - 1).Max(r =>
            perLayer[b[r]..b[r + 1]].Sum() + (r == 0 ? first : 0) + (r == b.Length - 2 ? last : 0));
        foreach (int ranks in (int[])[2, 4, 8])
        {
            int[] equal = Enumerable.Range(0, ranks + 1).Select(r => r * flash.NumLayers / ranks).ToArray();
            Assert.True(Worst(PipelineSplit.Boundaries(flash, ranks)) <= Worst(equal), $"{ranks} ranks");
        }
        // The embedding is 1 GiB of V4-Flash: rank 0 gets no more layers than the middle ranks.
        int[] four = PipelineSplit.Boundaries(flash, 4);
        Assert.True(four[1] - four[0] <= four[2] - four[1]);
    }

    [Fact]
    public void MoreRanksThanLayersAreRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PipelineSplit.Boundaries(TinyConfig, 5));
        Assert.Contains("cannot cut 4 layers into 5 pipeline stages", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PipelineStage(0, 2, 3, 3));
        Assert.Throws<ArgumentException>(() => DeepSeekV4<float>.WeightMap(TinyConfig, new ExpertShard(0, 2), new PipelineStage(0, 2, 0, 2)));
    }

    [Fact]
    public void AStageMapsOnlyItsLayersAndWhatLivesWithThem()
    {
        using var tiny = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        int[] b = PipelineSplit.Boundaries(TinyConfig, 3);
        for (int r = 0; r < 3; r++)
        {
            var seen = new CountingSource(tiny);
            _ = DeepSeekV4<float>.Load(TinyConfig, seen, stage: PipelineStage.Of(r, b));
            var layers = seen.Requested.Where(n => n.StartsWith("layers.", StringComparison.Ordinal))
                .Select(n => int.Parse(n.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order().ToArray();
            Assert.Equal(Enumerable.Range(b[r], b[r + 1] - b[r]), layers);
            Assert.Equal(r == 0 || r == 2, seen.Requested.Contains("embed.weight"));   // the last stage embeds the MTP's next ids
            Assert.Equal(r == 2, seen.Requested.Contains("head.weight"));
            Assert.Equal(r == 2, seen.Requested.Any(n => n.StartsWith("mtp.", StringComparison.Ordinal)));
            Assert.Equal(r == 2, seen.Requested.Any(n => n.StartsWith("hc_head", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void TheStagesWeightMapsPartitionTheCheckpoint()
    {
        var full = DeepSeekV4<float>.WeightMap(TinyConfig).Select(s => s.Name).Order().ToArray();
        var memory = PipelineRankMemory.Of(TinyConfig, 4);
        var union = new List<string>();
        for (int r = 0; r < 4; r++)
            union.AddRange(DeepSeekV4<float>.WeightMap(TinyConfig, stage: PipelineStage.Of(r, PipelineSplit.Boundaries(TinyConfig, 4)))
                .Where(s => r == 0 || !s.Name.StartsWith("embed.", StringComparison.Ordinal)).Select(s => s.Name));
        Assert.Equal(full, union.Order().ToArray());
        long total = DeepSeekV4<float>.WeightMap(TinyConfig).Sum(s => s.Bytes);
        Assert.Equal(total, memory.Sum(m => m.WeightBytes));
        Assert.Equal((long)TinyConfig.VocabSize * TinyConfig.Dim * 2, memory[3].LookupBytes);
        Assert.Equal(4 * 256 * 4, PipelineRankMemory.HopBytesPerToken(TinyConfig));
    }

    [Fact]
    public void AStageWithoutALinkCannotRun()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TinyRun.Logits<float>(stage: PipelineStage.Of(1, PipelineSplit.Boundaries(TinyConfig, 2))));
        Assert.Contains("no link to the other stages", e.Message);
    }

    [Theory]
    [InlineData(2)] [InlineData(3)] [InlineData(4)]
    public void StagesGiveTheLogitsOfOneProcessBitForBit(int ranks)
    {
        float[] one = TinyRun.Logits<float>();
        Assert.All(Staged(ranks, s => TinyRun.Logits<float>(stage: s)), rank => Assert.Equal(one, rank));   // every rank holds the last stage's logits
        double[] one64 = TinyRun.Logits<double>();
        Assert.All(Staged(ranks, s => TinyRun.Logits<double>(stage: s)), rank => Assert.Equal(one64, rank));
    }

    [Fact]
    public void ABatchOfSequencesGivesTheLogitsOfOneProcessBitForBit()
    {
        float[] one = Batch(null);
        var link = new InMemoryPipeline(3);
        Assert.All(Staged(3, Batch, link), rank => Assert.Equal(one, rank));
        // Six forward calls over two hops would be 12 messages in whole batches: the batched steps went in micro-batches.
        Assert.True(link.Messages > 12, $"{link.Messages} messages");
    }

    [Fact]
    public void TheMtpDraftGivesTheLogitsOfOneProcessBitForBit()
    {
        float[] one = Draft(null);
        Assert.All(Staged(4, Draft), rank => Assert.Equal(one, rank));
    }

    private static T[][] Staged<T>(int ranks, Func<PipelineStage?, T[]> run, InMemoryPipeline? link = null)
    {
        link ??= new InMemoryPipeline(ranks);
        int[] b = PipelineSplit.Boundaries(TinyConfig, ranks);
        var results = new T[ranks][];
        var errors = new Exception?[ranks];
        var threads = Enumerable.Range(0, ranks).Select(r => new Thread(() =>
        {
            try { results[r] = run(PipelineStage.Of(r, b, link.Rank(r))); }
            catch (Exception e) { errors[r] = e; }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a stage did not finish");
        Assert.All(errors, e => Assert.Null(e));
        // Every token crossed every hop once: (ranks - 1) hops of hc x dim floats (or doubles) per token.
        Assert.True(link.BytesSent > 0);
        return results;
    }

    // Three sequences prefilled to different lengths (only the last row's logits), then two batched steps: one token each, then 2 + 1 + 3.
    private static float[] Batch(PipelineStage? stage)
    {
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var config = TinyConfig;
        var net = DeepSeekV4<float>.Load(config, w, stage: stage);
        int v = config.VocabSize;
        var states = Enumerable.Range(0, 3).Select(_ => new SequenceState<float>(config)).ToArray();
        var logits = new List<float>();
        for (int s = 0; s < 3; s++)
        {
            var l = new float[v];
            net.Forward(Prompt.AsSpan(s, 4 + 5 * s), states[s], l, logitRows: 1);
            logits.AddRange(l);
        }
        var l1 = new float[3 * v];
        net.ForwardBatch([7, 8, 9], states, l1);
        SequenceState<float>[] owners = [states[0], states[0], states[1], states[2], states[2], states[2]];
        var l2 = new float[6 * v];
        net.ForwardBatch([10, 11, 12, 13, 14, 15], owners, l2);
        // A rollback (a rejected draft) and the same position fed again.
        states[1].Truncate(states[1].Length - 1);
        var l3 = new float[v];
        net.Forward([16], states[1], l3);
        return [.. logits, .. l1, .. l2, .. l3];
    }

    // Prefill keeping the final streams, feed the MTP block every known position, then draft after id 9.
    private static float[] Draft(PipelineStage? stage)
    {
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var config = TinyConfig;
        var net = DeepSeekV4<float>.Load(config, w, stage: stage);
        int v = config.VocabSize, width = config.HcMult * config.Dim, n = Prompt.Length;
        var state = new SequenceState<float>(config);
        var hidden = new float[n * width];
        net.Forward(Prompt, state, new float[v], hidden, logitRows: 1);
        net.ForwardMtp(hidden.AsSpan(0, (n - 1) * width), Prompt.AsSpan(1), state, default);   // memory only
        var draft = new float[v];
        net.ForwardMtp(hidden.AsSpan((n - 1) * width), [9], state, draft);
        Assert.Equal(n, state.MtpLength);
        return draft;
    }
}
