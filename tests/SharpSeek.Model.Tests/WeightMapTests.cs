// The weight map built from a config alone (no weights) equals the real V4-Flash-0731 checkpoint's
// tensor manifest (names, dtypes, shapes) outside mtp.* (0731's mtp.* is the DSpark head).
using System.Text.Json;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Tests;

public sealed class WeightMapTests
{
    [Fact]
    public void FlashWeightMapEqualsRealManifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("v4-flash-manifest.json")));
        var config = ModelConfigParser.Parse(doc.RootElement.GetProperty("config").GetRawText(), "manifest config");
        var expected = new Dictionary<string, string>();
        foreach (var t in doc.RootElement.GetProperty("tensors").EnumerateObject())
        {
            if (t.Name.StartsWith("mtp.", StringComparison.Ordinal)) continue;
            string dtype = t.Value[0].GetString()!;
            string shape = string.Join(",", t.Value[1].EnumerateArray().Select(x => x.GetInt64()));
            expected[t.Name] = $"{dtype} [{shape}]";
        }
        var actual = DeepSeekV4<float>.WeightMap(config)
            .Where(s => !s.Name.StartsWith("mtp.", StringComparison.Ordinal))
            .ToDictionary(s => s.Name, s => $"{s.DType} [{string.Join(",", s.Shape)}]");

        var missing = expected.Keys.Except(actual.Keys).Order().Take(10).ToList();
        var extra = actual.Keys.Except(expected.Keys).Order().Take(10).ToList();
        var differ = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k]).Order().Take(10)
            .Select(k => $"{k}: manifest {expected[k]}, engine {actual[k]}").ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && differ.Count == 0,
            $"missing: {string.Join("; ", missing)}\nextra: {string.Join("; ", extra)}\ndiffer: {string.Join("; ", differ)}");
        Assert.Equal(expected.Count, actual.Count);
        Assert.True(actual.Count > 60000, $"only {actual.Count} tensors");
    }

    [Fact]
    public void TinyWeightMapEqualsTheGoldenCheckpoint()
    {
        var config = ModelConfig.Load(Fixtures.Path("v4-tiny", "config.json"));
        using var ckpt = SharpSeek.Formats.Safetensors.Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var actual = DeepSeekV4<float>.WeightMap(config).ToDictionary(s => s.Name, s => $"{s.DType} {s.ShapeString}");
        var expected = ckpt.Names.ToDictionary(n => n, n => { var v = ckpt.Get(n); return $"{v.DType} {v.ShapeString}"; });
        // tid2eid is I64 in the file; wo_a FP8 as in the official checkpoint
        Assert.Equal(expected.OrderBy(k => k.Key), actual.OrderBy(k => k.Key));
    }
}
