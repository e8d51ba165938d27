// Attention over many keys with many heads runs its (token, head group) items on the worker team
// (SinkAttentionBlock): a 16-head, window-only random checkpoint past 128 positions takes that path in both
// float32 and float64, and the two evaluations stay close (a head group written to the wrong heads or
// keys would not), and chunked prefill equals one-shot there.
using System.Text.Json.Nodes;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;

namespace SharpSeek.Model.Tests;

public sealed class SixteenHeadsGeometry() : RandomGeometry(seed: 11, c =>
{
    c["num_hidden_layers"] = 2; c["num_attention_heads"] = 16; c["num_hash_layers"] = 0;
    c["n_routed_experts"] = 4; c["num_experts_per_tok"] = 2; c["compress_ratios"] = new JsonArray(0, 0, 0);
});

public sealed class ParallelHeadsTests(SixteenHeadsGeometry geometry) : IClassFixture<SixteenHeadsGeometry>
{
    private readonly ModelConfig _config = geometry.Config;
    private readonly ITensorSource _weights = geometry.Weights;

    [Fact]
    public void SixteenHeadsOverAFullWindowFollowFloat64()
    {
        var m64 = DeepSeekV4<double>.Load(_config, _weights);
        var m32 = DeepSeekV4<float>.Load(_config, _weights);
        var r = new Random(5);
        int[] ids = Enumerable.Range(0, 160).Select(_ => r.Next(_config.VocabSize)).ToArray();
        int V = m64.VocabSize;
        var a = new double[ids.Length * V];
        var b = new float[ids.Length * V];
        m64.Forward(ids, new SequenceState<double>(m64.Config), a);
        m32.Forward(ids, new SequenceState<float>(m32.Config), b);
        double max = 0, scale = 0;
        for (int i = 128 * V; i < a.Length; i++) { max = Math.Max(max, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(a[i])); }
        Assert.True(max < 5e-3 * Math.Max(1, scale), $"positions 128..159: max |f32 - f64| = {max} (max |logit| {scale})");
        var st = new SequenceState<double>(m64.Config);
        var c = new double[ids.Length * V];
        for (int s = 0; s < ids.Length; s += 50) { int n = Math.Min(50, ids.Length - s); m64.Forward(ids.AsSpan(s, n), st, c.AsSpan(s * V, n * V)); }
        Assert.Equal(a, c);
    }
}
