// The V4.1 weight map built from the config alone (module construction through WeightScope) equals
// the golden checkpoint's tensors exactly: names, dtypes and shapes, DSpark stages and vision included.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Model.Tests.V41;

public sealed class V41WeightMapTests
{
    [Fact]
    public void TinyWeightMapEqualsTheGoldenCheckpoint()
    {
        var config = V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));
        using var file = SafetensorsFile.Open(Fixtures.Path("v41-tiny", "model.safetensors"));
        var expected = file.Names.ToDictionary(n => n, n => { var v = file.Get(n); return $"{v.DType} [{string.Join(",", v.Shape)}]"; });
        var specs = DeepSeekV41<double>.WeightMap(config);
        var actual = specs.ToDictionary(s => s.Name, s => $"{s.DType} [{string.Join(",", s.Shape)}]");
        Assert.Equal(specs.Count, actual.Count);   // no name twice
        var missing = expected.Keys.Except(actual.Keys).Order().Take(10).ToList();
        var extra = actual.Keys.Except(expected.Keys).Order().Take(10).ToList();
        var differ = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k]).Order().Take(10)
            .Select(k => $"{k}: checkpoint {expected[k]}, engine {actual[k]}").ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && differ.Count == 0,
            $"missing: {string.Join("; ", missing)}\nextra: {string.Join("; ", extra)}\ndiffer: {string.Join("; ", differ)}");
    }

    [Fact]
    public void LoadingRefusesACheckpointThatDisagreesWithTheConfig()
    {
        var args = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Fixtures.Path("v41-tiny", "config.json")))!.AsObject();
        args["engram_head_dim"] = 64;
        args["reference_model_args"]!["engram_head_dim"] = 64;
        var config = V41ConfigParser.Parse(args.ToJsonString());
        using var file = SafetensorsFile.Open(Fixtures.Path("v41-tiny", "model.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => DeepSeekV41<double>.Load(config, file, new int[4096].Select((_, i) => i % 2742).ToArray()));
        Assert.Contains("layers.0.engram.embed.weight", e.Message);
    }
}
