// inspect and logits on the V4.1 golden checkpoint as a user runs them.
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class V41CommandTests
{
    [Fact]
    public void InspectReportsEngramApartAndKvPerToken()
    {
        var r = Run("inspect", "--model", Fixture("v41-tiny"), "--json");
        Assert.True(r.Exit == 0, r.Err);
        using var j = JsonDocument.Parse(r.Out);
        Assert.Equal(16242, j.RootElement.GetProperty("engram_table_rows").GetInt64());          // 8058 + 8184
        Assert.Equal(16242L * 33, j.RootElement.GetProperty("engram_table_bytes").GetInt64());    // 32 e4m3 + 1 e8m0 per row
        Assert.Equal(79.5, j.RootElement.GetProperty("kv_bytes_per_token").GetDouble());          // (36 + 17) / 2 + 36 + 17
        long resident = j.RootElement.GetProperty("resident_weight_bytes").GetInt64();
        Assert.True(resident + 16242L * 33 < new FileInfo(Fixture("v41-tiny", "model.safetensors")).Length);
    }

    [Fact]
    public void LogitsF64MatchTheGoldenShortCase()
    {
        using var cases = SafetensorsFile.Open(Fixture("v41-tiny", "cases.safetensors"));
        long[] ids = cases.Get("short.prefill_tokens").ReadAsInt64(), dec = cases.Get("short.decode_tokens").ReadAsInt64()[..3];
        string outFile = Path.Combine(Path.GetTempPath(), $"sharpseek-v41-logits-{Guid.NewGuid():N}.safetensors");
        try
        {
            var r = Run("logits", "--model", Fixture("v41-tiny"), "--ids", string.Join(",", ids), "--decode", string.Join(",", dec), "--precision", "f64", "--out", outFile);
            Assert.True(r.Exit == 0, r.Err);
            using var got = SafetensorsFile.Open(outFile);
            double[] pl = got.Get("prefill_logits").AsSpan<double>().ToArray(), dl = got.Get("decode_logits").AsSpan<double>().ToArray();
            double[] ep = cases.Get("short.prefill.logits_f64").AsSpan<double>().ToArray(), ed = cases.Get("short.decode.logits_f64").AsSpan<double>()[..dl.Length].ToArray();
            for (int i = 0; i < pl.Length; i++) Assert.True(Math.Abs(pl[i] - ep[i]) <= 1e-6 + 1e-6 * Math.Abs(ep[i]), $"prefill {i}");
            for (int i = 0; i < dl.Length; i++) Assert.True(Math.Abs(dl[i] - ed[i]) <= 1e-6 + 1e-6 * Math.Abs(ed[i]), $"decode {i}");
        }
        finally { File.Delete(outFile); }
    }

    [Fact]
    public void LogitsWithoutTokenizerNamesTheMissingFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"sharpseek-v41-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.Copy(Fixture("v41-tiny", "config.json"), Path.Combine(dir, "config.json"));
            File.Copy(Fixture("v41-tiny", "model.safetensors"), Path.Combine(dir, "model.safetensors"));
            var r = Run("logits", "--model", dir, "--ids", "5,6", "--out", Path.Combine(dir, "o.safetensors"));
            Assert.NotEqual(0, r.Exit);
            Assert.Contains("tokenizer.json", r.Err);
            Assert.DoesNotContain("   at ", r.Err);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void GreedyGenerateContinuesWithTheOfficialArgmax()
    {
        using var cases = SafetensorsFile.Open(Fixture("v41-tiny", "cases.safetensors"));
        long[] ids = cases.Get("short.prefill_tokens").ReadAsInt64();
        long want = cases.Get("short.prefill.argmax_f64").ReadAsInt64()[^1];
        var r = Run("generate", "--model", Fixture("v41-tiny"), "--prompt-ids", string.Join(",", ids), "--max-tokens", "3", "--temperature", "0", "--json");
        Assert.True(r.Exit == 0, r.Err);
        using var j = JsonDocument.Parse(r.Out);
        Assert.Equal(want, j.RootElement.GetProperty("ids")[0].GetInt64());
        Assert.Contains("DeepSeek V4.1", r.Err);
    }

    [Fact]
    public void GenerateSpeculativeDSparkEqualsGreedyAndNamesAWrongHead()
    {
        string[] common = ["generate", "--model", Fixture("v41-tiny"), "--prompt-ids", "5,17,3,99,250,31,7,400", "--temperature", "0", "--max-tokens", "14", "--json"];
        var plain = Run(common);
        Assert.True(plain.Exit == 0, plain.Err);
        var spec = Run([.. common, "--speculative", "dspark"]);
        Assert.True(spec.Exit == 0, spec.Err);
        using JsonDocument p = JsonDocument.Parse(plain.Out), s = JsonDocument.Parse(spec.Out);
        int[] Ids(JsonDocument d) => d.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        Assert.Equal(14, Ids(p).Length);
        Assert.Equal(Ids(p), Ids(s));
        Assert.InRange(s.RootElement.GetProperty("acceptance_rate").GetDouble(), 0, 1);
        var mtp = Run([.. common, "--speculative", "mtp"]);
        Assert.NotEqual(0, mtp.Exit);
        Assert.Contains("draft head is dspark", mtp.Err);
        var april = Run("generate", "--model", Fixture("v4-tiny"), "--prompt-ids", "5,17", "--max-tokens", "2", "--speculative", "dspark");
        Assert.NotEqual(0, april.Exit);
        Assert.Contains("draft head is mtp", april.Err);
    }
}
