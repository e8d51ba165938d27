// Nothing is tuned to the tiny geometry: a random checkpoint of another V4 geometry (window 128,
// ratios 4 and 128, other head/expert/layer counts) runs from its config.json alone, and keeps the
// invariants (chunked = one-shot, float32 close to the float64 evaluation).
using System.Text.Json.Nodes;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Tests;

/// <summary>
/// A random checkpoint of a small V4 geometry in a temporary directory: the V4-Flash config with small
/// sizes (window 128, ratios 4 and 128, 2 heads, 6 experts top-3), then <c>edit</c> for other shapes.
/// </summary>
public class RandomGeometry : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("sharpseek-geom-").FullName;
    public ModelConfig Config { get; }
    public ITensorSource Weights { get; }

    public RandomGeometry(ulong seed, Action<JsonObject>? edit = null)
    {
        var cfg = JsonNode.Parse(File.ReadAllText(Fixtures.Path("v4-flash", "config.json")))!.AsObject();
        cfg["hidden_size"] = 128; cfg["num_hidden_layers"] = 3; cfg["num_attention_heads"] = 2; cfg["head_dim"] = 128;
        cfg["q_lora_rank"] = 64; cfg["o_lora_rank"] = 32; cfg["o_groups"] = 2; cfg["index_n_heads"] = 2; cfg["index_head_dim"] = 128;
        cfg["index_topk"] = 16; cfg["n_routed_experts"] = 6; cfg["num_experts_per_tok"] = 3; cfg["moe_intermediate_size"] = 64;
        cfg["num_hash_layers"] = 1; cfg["vocab_size"] = 300; cfg["max_position_embeddings"] = 4096; cfg["expert_dtype"] = "fp4";
        cfg["compress_ratios"] = new JsonArray(4, 128, 0, 0);
        cfg["rope_scaling"]!["original_max_position_embeddings"] = 256;
        edit?.Invoke(cfg);
        string path = Path.Combine(Dir, "source-config.json");
        File.WriteAllText(path, cfg.ToJsonString());
        RandomCheckpoint.Write(path, Dir, seed);
        Config = ModelConfig.Load(Path.Combine(Dir, "config.json"));
        Weights = Checkpoint.Open(Dir);
    }

    public void Dispose()
    {
        Weights.Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}

public sealed class OtherGeometryFixture() : RandomGeometry(seed: 7);

public sealed class OtherGeometryTests(OtherGeometryFixture fx) : IClassFixture<OtherGeometryFixture>
{
    private int[] Ids(int n) { var r = new Random(3); return Enumerable.Range(0, n).Select(_ => r.Next(fx.Config.VocabSize)).ToArray(); }

    [Fact]
    public void ChunkedEqualsOneShotAcrossRatio128Boundaries()
    {
        var m = DeepSeekV4<double>.Load(fx.Config, fx.Weights);
        int[] ids = Ids(300);
        int V = m.VocabSize;
        var a = new double[ids.Length * V];
        m.Forward(ids, new SequenceState<double>(m.Config), a);
        var st = new SequenceState<double>(m.Config);
        var b = new double[ids.Length * V];
        for (int s = 0; s < ids.Length; s += 37) { int n = Math.Min(37, ids.Length - s); m.Forward(ids.AsSpan(s, n), st, b.AsSpan(s * V, n * V)); }
        Assert.Equal(a, b);
        Assert.Equal(2, st.Layers[1].CompressedCount);   // 300 tokens / 128
        Assert.Equal(75, st.Layers[0].CompressedCount);  // 300 / 4
        Assert.All(a, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Float32FollowsFloat64OnTheFirstPositions()
    {
        var m64 = DeepSeekV4<double>.Load(fx.Config, fx.Weights);
        var m32 = DeepSeekV4<float>.Load(fx.Config, fx.Weights);
        int[] ids = Ids(24);
        int V = m64.VocabSize;
        var a = new double[ids.Length * V];
        var b = new float[ids.Length * V];
        m64.Forward(ids, new SequenceState<double>(m64.Config), a);
        m32.Forward(ids, new SequenceState<float>(m32.Config), b);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        Assert.True(max < 5e-3, $"max |f32 - f64| = {max}");
    }
}
