// Attention over many keys with many heads runs its head groups on the worker team (Attention.
// AttendHeads): a 16-head, window-only random checkpoint past 128 positions takes that path in both
// float32 and float64, and the two evaluations stay close (a head group written to the wrong heads or
// keys would not), and chunked prefill equals one-shot there.
using System.Text.Json.Nodes;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Tests;

public sealed class ParallelHeadsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-heads-").FullName;
    private readonly ModelConfig _config;
    private readonly ITensorSource _weights;

    public ParallelHeadsTests()
    {
        var cfg = JsonNode.Parse(File.ReadAllText(Fixtures.Path("v4-flash", "config.json")))!.AsObject();
        cfg["hidden_size"] = 128; cfg["num_hidden_layers"] = 2; cfg["num_attention_heads"] = 16; cfg["head_dim"] = 128;
        cfg["q_lora_rank"] = 64; cfg["o_lora_rank"] = 32; cfg["o_groups"] = 2; cfg["index_n_heads"] = 2; cfg["index_head_dim"] = 128;
        cfg["index_topk"] = 16; cfg["n_routed_experts"] = 4; cfg["num_experts_per_tok"] = 2; cfg["moe_intermediate_size"] = 64;
        cfg["num_hash_layers"] = 0; cfg["vocab_size"] = 300; cfg["max_position_embeddings"] = 4096; cfg["expert_dtype"] = "fp4";
        cfg["compress_ratios"] = new JsonArray(0, 0, 0);
        cfg["rope_scaling"]!["original_max_position_embeddings"] = 256;
        string path = Path.Combine(_dir, "source-config.json");
        File.WriteAllText(path, cfg.ToJsonString());
        RandomCheckpoint.Write(path, _dir, seed: 11);
        _config = ModelConfig.Load(Path.Combine(_dir, "config.json"));
        _weights = Checkpoint.Open(_dir);
    }

    public void Dispose() { _weights.Dispose(); try { Directory.Delete(_dir, true); } catch (IOException) { } }

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
