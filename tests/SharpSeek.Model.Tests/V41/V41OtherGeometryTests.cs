// A V4.1 geometry the golden data does not cover (ratio-1 source first, a ratio-2 pair after it, a
// reused top-k, Engram on two layers, hc 2, no vision, no DSpark), from its config alone: init-random
// writes it in the official layout, the engine loads it, the weight map round-trips, float32 tracks
// float64, and the invariants hold.
using System.Text.Json.Nodes;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Tests.V41;

public sealed class V41OtherGeometryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"sharpseek-v41-geom-{Guid.NewGuid():N}");

    public static JsonObject Geometry() => new()
    {
        ["max_seq_len"] = 256, ["vocab_size"] = 512, ["dim"] = 96, ["moe_inter_dim"] = 64, ["n_layers"] = 5, ["n_mtp_layers"] = 0,
        ["n_heads"] = 2, ["n_routed_experts"] = 6, ["n_activated_experts"] = 3, ["route_scale"] = 2.0, ["swiglu_limit"] = 7.0,
        ["q_lora_rank"] = 48, ["head_dim"] = 96, ["rope_head_dim"] = 32, ["o_groups"] = 1, ["o_lora_rank"] = 40, ["window_size"] = 5,
        ["compress_ratios"] = new JsonArray(0, 1, 2, 2, 2), ["kv_source_layers"] = new JsonArray(1, 2), ["index_source_layers"] = new JsonArray(1, 2, 4),
        ["original_seq_len"] = 32, ["rope_factor"] = 8.0, ["compress_rope_theta"] = 50000.0,
        ["index_n_heads"] = 3, ["index_head_dim"] = 64, ["index_topk"] = 4,
        ["candidate_source_layer"] = 2, ["candidate_topk_blocks"] = 2, ["candidate_block_size"] = 3,
        ["hc_mult"] = 2, ["engram_layer_ids"] = new JsonArray(1, 3), ["engram_num_embeddings"] = new JsonArray(1100, 1600),
        ["engram_max_ngram_size"] = 4, ["engram_vocab_size"] = 100, ["engram_n_heads"] = 3, ["engram_head_dim"] = 64,
        ["engram_pad_id"] = 0, ["engram_compressed_vocab_size"] = 300,
    };

    public V41OtherGeometryTests()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "config.in.json"), Geometry().ToJsonString());
        V41RandomCheckpoint.Write(Path.Combine(_dir, "config.in.json"), _dir, seed: 7);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int[] Map(V41Config c) => Enumerable.Range(0, c.Base.VocabSize).Select(i => i * 7 % c.Engram.CompressedVocabSize).ToArray();

    [Fact]
    public void RandomCheckpointLoadsRunsAndKeepsTheInvariants()
    {
        var c = V41Config.Load(Path.Combine(_dir, "config.json"));
        using ITensorSource w = Checkpoint.Open(_dir);
        var f64 = DeepSeekV41<double>.Load(c, w, Map(c));
        var f32 = DeepSeekV41<float>.Load(c, w, Map(c));
        int v = c.Base.VocabSize;
        var rng = new Random(3);
        int[] ids = Enumerable.Range(0, 36).Select(_ => rng.Next(v)).ToArray();

        double[] one = new double[ids.Length * v];
        f64.Forward(ids, f64.NewState(), one);
        Assert.All(one, x => Assert.True(double.IsFinite(x)));
        // chunks of 2, 3 and 6 = one-shot
        foreach (int chunk in new[] { 2, 3, 6 })
        {
            var st = f64.NewState();
            double[] got = new double[ids.Length * v];
            for (int at = 0; at < ids.Length; at += chunk) f64.Forward(ids.AsSpan(at, chunk), st, got.AsSpan(at * v, chunk * v));
            for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - one[i]) <= 1e-9 * (1 + Math.Abs(one[i])), $"chunk {chunk}: value {i}");
        }
        // float32 follows float64
        float[] lf = new float[ids.Length * v];
        f32.Forward(ids, f32.NewState(), lf);
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < lf.Length; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(lf[i] - one[i])); maxAbs = Math.Max(maxAbs, Math.Abs(one[i])); }
        Assert.True(maxDiff <= 1e-3 * (1 + maxAbs), $"float32 vs float64: {maxDiff:E2} (max |logit| {maxAbs:F2})");
        // rollback: a detour then back equals going straight on
        var a = f64.NewState();
        var b = f64.NewState();
        f64.Forward(ids[..20], a, new double[20 * v]);
        f64.Forward(ids[..20], b, new double[20 * v]);
        f64.Forward(ids[20..26], b, new double[6 * v]);
        b.Rollback(20);
        double[] la = new double[16 * v], lb = new double[16 * v];
        f64.Forward(ids[20..], a, la);
        f64.Forward(ids[20..], b, lb);
        Assert.Equal(la, lb);
    }

    [Fact]
    public void WeightMapRoundTripsThroughTheWrittenCheckpoint()
    {
        var c = V41Config.Load(Path.Combine(_dir, "config.json"));
        using ITensorSource w = Checkpoint.Open(_dir);
        foreach (var s in DeepSeekV41<float>.WeightMap(c))
        {
            Assert.True(w.TryGet(s.Name, out TensorView? t), $"{s.Name} missing");
            Assert.Equal(s.DType, t!.DType);
            Assert.Equal(s.Shape, t.Shape.ToArray());
        }
    }
}
