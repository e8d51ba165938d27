// Mutation fuzzing of config.json: the tiny config with keys replaced by hostile values, removed,
// or its text cut and corrupted. The parser either returns a config whose every tensor can exist
// (checked against the architecture's own weight map) or throws ModelConfigException; nothing else.
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Testing;

namespace SharpSeek.Model.Tests;

public sealed class ConfigFuzzTests
{
    private static readonly string s_tiny = File.ReadAllText(Fixtures.Path("v4-tiny", "config.json"));

    private static readonly string[] s_hostile =
    [
        "0", "-1", "1", "2", "3", "4", "7", "16", "64", "128", "2147483647", "-2147483648", "2147483648", "4294967296",
        "9007199254740993", "1e9", "1e400", "-1e400", "1e-45", "5e-324", "0.5", "-0.0", "1.0", "65536", "16777216", "16777217",
        "\"\"", "\"deepseek_v4\"", "\"yarn\"", "\"x\"", "\"Infinity\"", "\"NaN\"", "null", "true", "[]", "[0]", "{}",
        "[2147483647, 4]", "\"LONE\"", "{\"type\": \"yarn\", \"factor\": 0}", "\"" + new string('a', 3000) + "\"",
    ];

    private sealed record Case(string Json, string Edits);

    private static Gen<Case> Mutations()
    {
        var root = JsonNode.Parse(s_tiny)!.AsObject();
        string[] keys = [.. root.Select(p => p.Key), "rope_scaling.factor", "rope_scaling.original_max_position_embeddings",
            "rope_scaling.beta_fast", "rope_scaling.beta_slow", "compress_ratios.0", "compress_ratios.1", "compress_ratios.4",
            "quantization_config.weight_block_size", "quantization_config.fmt"];
        Gen<(string Key, int Value, bool Remove)> edit =
            from k in Gen.Elements(keys)
            from v in Gen.Choose(0, s_hostile.Length - 1)
            from remove in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
            select (k, v, remove);
        Gen<Case> structural =
            from n in Gen.Choose(1, 4)
            from edits in edit.ListOf(n)
            select Apply(edits);
        Gen<Case> textual =
            from cut in Gen.Choose(0, s_tiny.Length)
            from pos in Gen.Choose(0, s_tiny.Length - 1)
            from b in Gen.Choose(0, 255)
            from mode in Gen.Choose(0, 2)
            select Corrupt(cut, pos, (byte)b, mode);
        return Gen.Frequency((4, structural), (1, textual));
    }

    private static Case Apply(IEnumerable<(string Key, int Value, bool Remove)> edits)
    {
        var root = JsonNode.Parse(s_tiny)!.AsObject();
        var log = new StringBuilder();
        foreach (var (key, v, remove) in edits)
        {
            Fuzz.Edit(root, key.Replace('.', '/'), remove ? null : JsonNode.Parse(s_hostile[v]), remove);
            log.Append(remove ? $"-{key} " : $"{key}={(s_hostile[v].Length > 30 ? "<long>" : s_hostile[v])} ");
        }
        return new Case(root.ToJsonString().Replace("\"LONE\"", "\"\\ud800\""), log.ToString());
    }

    private static Case Corrupt(int cut, int pos, byte b, int mode)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s_tiny);
        if (mode == 0) return new Case(Encoding.UTF8.GetString(bytes, 0, cut), $"cut at {cut}");
        bytes[pos] = b;
        return new Case(Encoding.UTF8.GetString(bytes), $"byte {pos} = {b}");
    }

    private static void ParseOrRefuse(Case c)
    {
        ModelConfig cfg;
        try { cfg = ModelConfigParser.Parse(c.Json, "config.json"); }
        catch (ModelConfigException e) when (!e.Message.Contains('\n')) { return; }
        // Accepted: every tensor the architecture would ask for must be addressable.
        foreach (var spec in DeepSeekV4<float>.WeightMap(cfg))
            Assert.True(spec.Elements <= ModelConfigRanges.MaxTensorElements, $"{spec.Name} {spec.ShapeString} accepted but cannot exist");
        _ = DeepSeekV4.MemoryPlan(cfg);
    }

    [Fact]
    public void FuzzConfigJsonParsesOrIsRefusedCleanly() =>
        Fuzz.Run(Mutations(), Fuzz.Cases(3000), ParseOrRefuse, c => c.Edits);

    // Inputs that crashed or hung before the ranges existed (issue 25).
    [Theory]
    [InlineData("hc_sinkhorn_iters", 1000000000L)]
    [InlineData("vocab_size", 2147483647L)]
    [InlineData("num_hidden_layers", 2147483647L)]
    [InlineData("hc_mult", 2147483647L)]
    [InlineData("num_nextn_predict_layers", 2147483647L)]
    [InlineData("hidden_size", 65536L)]   // found by this fuzz test: mtp e_proj [65536, 65536] was accepted
    public void RegressionsFromIssue25(string key, long value)
    {
        var root = JsonNode.Parse(s_tiny)!.AsObject();
        root[key] = value;
        Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse(root.ToJsonString()));
    }
}
