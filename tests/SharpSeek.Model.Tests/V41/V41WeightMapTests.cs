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

    /// <summary>The golden checkpoint copied into memory with one tensor dropped or replaced.</summary>
    private static InMemoryTensorSource Altered(string name, Func<TensorView, (SharpSeek.Tensors.DType, long[], byte[])?> change)
    {
        using var file = SafetensorsFile.Open(Fixtures.Path("v41-tiny", "model.safetensors"));
        var mem = new InMemoryTensorSource("altered v41-tiny");
        foreach (string n in file.Names)
        {
            TensorView v = file.Get(n);
            var alt = n == name ? change(v) : (v.DType, v.Shape.ToArray(), v.Bytes.ToArray());
            if (alt is { } a) mem.Add(n, a.Item1, a.Item2, a.Item3);
        }
        return mem;
    }

    [Fact]
    public void BadCheckpointsAreRefusedNamingTheTensor()
    {
        var config = V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));
        int[] map = Enumerable.Range(0, 4096).Select(i => i % 2742).ToArray();
        using (var missing = Altered("layers.2.engram.embed.scale", _ => null))
            Assert.Contains("layers.2.engram.embed.scale", Assert.Throws<KeyNotFoundException>(() => DeepSeekV41<double>.Load(config, missing, map)).Message);
        using (var dtype = Altered("layers.0.engram.embed.weight", v => (SharpSeek.Tensors.DType.U8, v.Shape.ToArray(), v.Bytes.ToArray())))
            Assert.Contains("layers.0.engram.embed.weight", Assert.Throws<InvalidDataException>(() => DeepSeekV41<double>.Load(config, dtype, map)).Message);
        using (var shape = Altered("layers.3.attn.compressor.wkv.weight", v => (v.DType, [32, 64], v.Bytes[..(32 * 64 * 2)].ToArray())))
            Assert.Contains("layers.3.attn.compressor.wkv.weight", Assert.Throws<InvalidDataException>(() => DeepSeekV41<double>.Load(config, shape, map)).Message);
        using (var scale = Altered("layers.1.attn.wq_b.scale", v => (v.DType, [2, 1], v.Bytes[..2].ToArray())))
            Assert.Contains("layers.1.attn.wq_b.scale", Assert.Throws<InvalidDataException>(() => DeepSeekV41<double>.Load(config, scale, map)).Message);
        using var file = SafetensorsFile.Open(Fixtures.Path("v41-tiny", "model.safetensors"));
        Assert.Contains("token map", Assert.Throws<ArgumentException>(() => DeepSeekV41<double>.Load(config, file, null)).Message);
    }
}
