// The importance matrix `sharpseek imatrix` collects on v4-tiny equals a direct computation from the
// model's own taps over the same chunks: attn_q_a's sums are the squared attention inputs summed over
// every token, each routed expert's are the squared FFN inputs of exactly the tokens routed to it.
using SharpSeek.Formats.Imatrix;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Gguf;
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Tests.Gguf;

public sealed class ImatrixCollectorTests
{
    [Fact]
    public void SumsAndCountsEqualADirectComputationFromTheTaps()
    {
        var config = ModelConfig.Load(Fixtures.Path("v4-tiny", "config.json"));
        using ITensorSource w = Checkpoint.Open(Fixtures.TinyDir);
        const int chunk = 24;
        var rng = new Random(5);
        int[] tokens = Enumerable.Range(0, 2 * chunk + 5).Select(_ => rng.Next(2, config.VocabSize)).ToArray();

        // 1. collected: through a model built with the collector as its tap, fed in pieces of 8
        var collector = new ImatrixCollector(config);
        var net = DeepSeekV4<float>.Load(config, w, inputTap: collector);
        int ran = ImatrixCollector.Calibrate(net, tokens, chunk, maxChunks: 0, piece: 8);
        Assert.Equal(2, ran);
        ImatrixData got = collector.ToImatrix(["t"], ran, chunk);

        // 2. direct: the same chunks (BOS first) in one call each through a plain model, from its taps
        var plain = DeepSeekV4<float>.Load(config, w);
        int d = config.Dim, experts = config.NumRoutedExperts;
        var attnIn = new double[d];
        var expertIn = new double[experts * d];
        var routed = new long[experts];
        float[] logits = new float[chunk * config.VocabSize];
        for (int c = 0; c < ran; c++)
        {
            int[] ids = tokens.AsSpan(c * chunk, chunk).ToArray();
            ids[0] = config.BosTokenId;
            var taps = new TapRecorder<float>(l => l <= 1);
            plain.Forward(ids, new SequenceState<float>(config), logits, taps: taps);
            foreach (float[] row in taps.Rows(0, "attn_in").Values)
                for (int j = 0; j < d; j++) attnIn[j] += (double)row[j] * row[j];
            foreach (var (pos, row) in taps.Rows(1, "ffn_in"))
            {
                Assert.True(taps.TryGet(1, "gate_ids", pos, out float[] chosen));
                foreach (float e in chosen)
                {
                    routed[(int)e]++;
                    for (int j = 0; j < d; j++) expertIn[(int)e * d + j] += (double)row[j] * row[j];
                }
            }
        }

        ImatrixEntry qa = got.Entries["blk.0.attn_q_a.weight"];
        Assert.Equal([2f * chunk], qa.Counts);
        for (int j = 0; j < d; j++) Assert.Equal(attnIn[j], qa.Sums[j], attnIn[j] * 1e-5);
        foreach (string name in new[] { "blk.1.ffn_gate_exps.weight", "blk.1.ffn_up_exps.weight" })
        {
            ImatrixEntry ex = got.Entries[name];
            Assert.Equal(routed.Select(n => (float)n), ex.Counts);
            Assert.True(routed.Count(n => n > 0) > 1, "the tokens reach more than one expert");
            for (int k = 0; k < experts * d; k++) Assert.Equal(expertIn[k], ex.Sums[k], expertIn[k] * 1e-5 + 1e-12);
        }
        Assert.Equal(2L * chunk * config.NumActivatedExperts, routed.Sum());
        Assert.Equal(config.MoeInterDim, got.Entries["blk.1.ffn_down_exps.weight"].Columns);
        Assert.DoesNotContain(got.Entries.Keys, k => k.Contains("mtp", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutATapNoLinearReportsAndTheLogitsAreTheSame()
    {
        var config = ModelConfig.Load(Fixtures.Path("v4-tiny", "config.json"));
        using ITensorSource w = Checkpoint.Open(Fixtures.TinyDir);
        var plain = DeepSeekV4<float>.Load(config, w);
        Assert.Null(plain.Head.InputTap);
        var tapped = DeepSeekV4<float>.Load(config, w, inputTap: new ImatrixCollector(config));
        Assert.NotNull(tapped.Head.InputTap);
        int[] ids = [0, 5, 17, 3, 99, 42];
        float[] a = new float[ids.Length * config.VocabSize], b = new float[a.Length];
        plain.Forward(ids, new SequenceState<float>(config), a);
        tapped.Forward(ids, new SequenceState<float>(config), b);
        Assert.Equal(a, b);
        // one decode token: the tapped model takes the per-expert path, the same numbers
        var sa = new SequenceState<float>(config);
        var sb = new SequenceState<float>(config);
        plain.Forward(ids, sa, a);
        tapped.Forward(ids, sb, b);
        float[] da = new float[config.VocabSize], db = new float[config.VocabSize];
        plain.Forward([7], sa, da);
        tapped.Forward([7], sb, db);
        Assert.Equal(da, db);
    }
}
