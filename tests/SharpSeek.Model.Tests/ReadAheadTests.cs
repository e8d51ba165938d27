// The expert read-ahead's bookkeeping (ReadAheadStats, LayerPages) and its behaviour on a random
// checkpoint: it changes no logit, every expert a block runs was advised by the time it ran, hash blocks
// are predicted exactly, and the page map covers every tensor of the checkpoint once.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights.ReadAhead;

namespace SharpSeek.Model.Tests;

public sealed class ReadAheadFixture() : RandomGeometry(seed: 11);

public sealed class ReadAheadTests(ReadAheadFixture fx) : IClassFixture<ReadAheadFixture>
{
    private sealed class RecordingAdvisor : IPageAdvisor
    {
        public readonly List<PageRange> WillNeeds = [], Randoms = [];
        public void WillNeed(nint address, long length) => WillNeeds.Add(new(address, length));
        public void Random(nint address, long length) => Randoms.Add(new(address, length));
    }

    private int[] Ids(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => r.Next(fx.Config.VocabSize)).ToArray(); }

    /// <summary>Prefill then greedy decode steps; logits of every step concatenated.</summary>
    private static float[] Run(DeepSeekV4<float> m, int[] prompt, int steps, IWeightReadAhead<float>? ra, ITapSink<float>? taps = null)
    {
        int v = m.VocabSize;
        var state = new SequenceState<float>(m.Config);
        using var work = new ForwardWorkspace<float> { ReadAhead = ra };
        var all = new List<float>();
        var logits = new float[v];
        m.Forward(prompt, state, logits, taps: taps, logitRows: 1, work: work);
        all.AddRange(logits);
        for (int s = 0; s < steps; s++)
        {
            int next = Array.IndexOf(logits, logits.Max());
            m.Forward([next], state, logits, taps: taps, work: work);
            all.AddRange(logits);
        }
        return all.ToArray();
    }

    [Fact]
    public void ReadAheadChangesNoLogit()
    {
        var m = DeepSeekV4<float>.Load(fx.Config, fx.Weights);
        int[] prompt = Ids(20, 1);
        float[] plain = Run(m, prompt, 6, null);
        float[] ahead = Run(m, prompt, 6, ExpertReadAhead<float>.For(m, fx.Weights, new RecordingAdvisor(), exactFaults: true));
        Assert.Equal(plain, ahead);
    }

    [Fact]
    public void EveryChosenExpertIsAdvisedAndHashBlocksArePredictedExactly()
    {
        var m = DeepSeekV4<float>.Load(fx.Config, fx.Weights);
        var advisor = new RecordingAdvisor();
        var ra = ExpertReadAhead<float>.For(m, fx.Weights, advisor);
        var pages = LayerPages.Of(fx.Weights, fx.Config);
        var taps = new TapRecorder<float>();
        Run(m, Ids(12, 2), 8, ra, taps);

        var advised = advisor.WillNeeds.ToHashSet();
        int layers = fx.Config.NumLayers;
        for (int b = 0; b < layers; b++)
        {
            var rows = taps.Rows(b, "gate_ids");
            Assert.Equal(12 + 8, rows.Count);
            foreach (float[] ids in rows.Values)
                foreach (float e in ids)
                    foreach (PageRange r in pages.Expert(b, (int)e)) Assert.Contains(r, advised);
        }
        Assert.True(ra.IsHash(0));
        Assert.False(ra.IsHash(1));
        // block 0 is hash-routed: predicted from the ids when each call starts, so every choice was predicted
        Assert.True(ra.Stats.ChosenOf(0) > 0);
        Assert.Equal(ra.Stats.ChosenOf(0), ra.Stats.HitsOf(0));
        Assert.Equal(1.0, ra.Stats.HitRate([0]));
        // score-routed blocks: scored against the previous block's prediction, never more hits than choices
        for (int b = 1; b < layers; b++)
        {
            Assert.True(ra.Stats.ChosenOf(b) > 0, $"block {b} was never scored");
            Assert.InRange(ra.Stats.HitsOf(b), 0, ra.Stats.ChosenOf(b));
            Assert.True(ra.Stats.PredictedOf(b) >= ra.Stats.HitsOf(b));
        }
        // a decode step predicts k experts per score-routed block (one token): the prediction is one router's top-k
        ra.Stats.Reset();
        Run(m, Ids(1, 3), 0, ra);
        for (int b = 1; b < layers; b++) Assert.Equal(fx.Config.NumActivatedExperts, ra.Stats.PredictedOf(b));
        Assert.True(ra.Stats.AheadBytes > 0);
    }

    [Fact]
    public void WithoutPredictionOnlyTheChosenExpertsAreAdvised()
    {
        var m = DeepSeekV4<float>.Load(fx.Config, fx.Weights);
        var advisor = new RecordingAdvisor();
        var ra = ExpertReadAhead<float>.For(m, fx.Weights, advisor, predict: false);
        var pages = LayerPages.Of(fx.Weights, fx.Config);
        var taps = new TapRecorder<float>();
        Run(m, Ids(1, 4), 0, ra, taps);
        var expected = new HashSet<PageRange>();
        for (int b = 0; b < fx.Config.NumLayers; b++)
            foreach (float e in taps.Rows(b, "gate_ids")[0]) expected.UnionWith(pages.Expert(b, (int)e).ToArray());
        Assert.Equal(expected, advisor.WillNeeds.ToHashSet());
        Assert.Equal(0, ra.Stats.Predicted + ra.Stats.Chosen + ra.Stats.AheadBytes);
        Assert.True(ra.Stats.JustInTimeBytes > 0);
    }

    [Fact]
    public void ExactFaultsMarkEveryRoutedExpertRandom()
    {
        var m = DeepSeekV4<float>.Load(fx.Config, fx.Weights);
        var advisor = new RecordingAdvisor();
        _ = ExpertReadAhead<float>.For(m, fx.Weights, advisor, exactFaults: true);
        var pages = LayerPages.Of(fx.Weights, fx.Config);
        var expected = new List<PageRange>();
        for (int b = 0; b < pages.Blocks; b++)
            for (int e = 0; e < pages.Experts; e++)
            {
                Assert.False(pages.Expert(b, e).IsEmpty, $"block {b} expert {e} has no pages");
                expected.AddRange(pages.Expert(b, e).ToArray());
            }
        Assert.Equal(expected, advisor.Randoms);
        Assert.Empty(advisor.WillNeeds);
    }

    [Fact]
    public void LayerPagesCoverEveryBlockTensorOnce()
    {
        var pages = LayerPages.Of(fx.Weights, fx.Config);
        Assert.Equal(fx.Config.NumLayers + fx.Config.NumMtpLayers, pages.Blocks);
        Assert.Equal(fx.Config.NumRoutedExperts, pages.Experts);
        long blockBytes = 0, expected = 0;
        for (int b = 0; b < pages.Blocks; b++)
        {
            blockBytes += LayerPages.Bytes(pages.Dense(b));
            for (int e = 0; e < pages.Experts; e++) blockBytes += LayerPages.Bytes(pages.Expert(b, e));
        }
        foreach (string name in fx.Weights.Names)
            if (name.StartsWith("layers.", StringComparison.Ordinal) || name.StartsWith("mtp.", StringComparison.Ordinal))
                expected += fx.Weights.Get(name).ByteLength;
        Assert.Equal(expected, blockBytes);
        // one expert: w1, w2, w3 with their scales, stored back to back in name order: one range
        long one = new[] { "w1", "w2", "w3" }.Sum(w => fx.Weights.Get($"layers.1.ffn.experts.2.{w}.weight").ByteLength + fx.Weights.Get($"layers.1.ffn.experts.2.{w}.scale").ByteLength);
        Assert.Single(pages.Expert(1, 2).ToArray());
        Assert.Equal(one, LayerPages.Bytes(pages.Expert(1, 2)));
    }

    [Fact]
    public void MergeJoinsTouchingAndOverlappingRangesOnly()
    {
        var merged = LayerPages.Merge([new(300, 10), new(100, 50), new(150, 20), new(160, 5), new(200, 1)]);
        Assert.Equal([new PageRange(100, 70), new PageRange(200, 1), new PageRange(300, 10)], merged);
        Assert.Empty(LayerPages.Merge([]));
    }

    [Fact]
    public void StatsCountHitsOfChosenAndReset()
    {
        var s = new ReadAheadStats(3);
        s.Record(1, predicted: 4, chosen: 4, hits: 3);
        s.Record(1, predicted: 4, chosen: 3, hits: 1);
        s.Record(2, predicted: 2, chosen: 2, hits: 2);
        Assert.Equal(4.0 / 7, s.HitRate([1]));
        Assert.Equal(6.0 / 9, s.HitRate([1, 2]));
        Assert.True(double.IsNaN(s.HitRate([0])));
        Assert.Equal(10, s.Predicted);
        Assert.Throws<ArgumentException>(() => s.Record(0, predicted: 1, chosen: 2, hits: 2));
        s.AddAhead(10); s.AddJustInTime(5);
        s.Reset();
        Assert.Equal(0, s.Chosen + s.Hits + s.Predicted + s.AheadBytes + s.JustInTimeBytes);
    }

    [Fact]
    public void BlockNamesParseStrictly()
    {
        var c = fx.Config;
        Assert.True(LayerPages.TryBlock("layers.2.attn.wq_a.weight", c, out int b, out string rest));
        Assert.Equal((2, "attn.wq_a.weight"), (b, rest));
        Assert.True(LayerPages.TryBlock("mtp.0.ffn.experts.5.w2.scale", c, out b, out rest));
        Assert.Equal(c.NumLayers, b);
        Assert.True(LayerPages.TryExpert(rest, c.NumRoutedExperts, out int e));
        Assert.Equal(5, e);
        Assert.False(LayerPages.TryBlock("layers.99.attn.x", c, out _, out _));
        Assert.False(LayerPages.TryBlock("layers.-1.attn.x", c, out _, out _));
        Assert.False(LayerPages.TryBlock("embed.weight", c, out _, out _));
        Assert.False(LayerPages.TryExpert("ffn.shared_experts.w1.weight", c.NumRoutedExperts, out _));
        Assert.False(LayerPages.TryExpert("ffn.experts.6.w1.weight", c.NumRoutedExperts, out _));
    }
}
