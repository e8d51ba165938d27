// --image on logits and generate with the V4.1 golden checkpoint: the golden prompt written with ONE
// image token where its span starts, the golden PNG as the file; the engine expands, preprocesses and
// encodes, and the logits equal the official ones. Bad images and image-less models get clear errors.
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class V41ImageCommandTests
{
    private const int ImageTokenId = 4094;

    private static long[] CollapsedPrompt(SafetensorsFile cases)
    {
        long[] tokens = cases.Get("image.prefill_tokens").ReadAsInt64(), types = cases.Get("image.token_types").ReadAsInt64();
        var p = new List<long>();
        for (int i = 0; i < tokens.Length; i++)
            if (types[i] < 0) p.Add(tokens[i]);
            else if (types[i] == 0) p.Add(ImageTokenId);
        return [.. p];
    }

    private static string Temp(string ext) => Path.Combine(Path.GetTempPath(), $"sharpseek-img-{Guid.NewGuid():N}{ext}");

    [Fact]
    public void LogitsWithImageF64MatchTheGoldenImageCase()
    {
        using var cases = SafetensorsFile.Open(Fixture("v41-tiny", "cases.safetensors"));
        long[] dec = cases.Get("image.decode_tokens").ReadAsInt64()[..2];
        string outFile = Temp(".safetensors");
        try
        {
            var r = Run("logits", "--model", Fixture("v41-tiny"), "--ids", string.Join(",", CollapsedPrompt(cases)), "--image", Fixture("v41-tiny", "image.png"),
                "--decode", string.Join(",", dec), "--precision", "f64", "--out", outFile);
            Assert.True(r.Exit == 0, r.Err);
            using var got = SafetensorsFile.Open(outFile);
            double[] pl = got.Get("prefill_logits").AsSpan<double>().ToArray(), dl = got.Get("decode_logits").AsSpan<double>().ToArray();
            double[] ep = cases.Get("image.prefill.logits_f64").AsSpan<double>().ToArray(), ed = cases.Get("image.decode.logits_f64").AsSpan<double>()[..dl.Length].ToArray();
            Assert.Equal(ep.Length, pl.Length);   // every prefill position is stored in the image case
            for (int i = 0; i < pl.Length; i++) Assert.True(Math.Abs(pl[i] - ep[i]) <= 1e-6 + 1e-6 * Math.Abs(ep[i]), $"prefill {i}: {pl[i]} vs {ep[i]}");
            for (int i = 0; i < dl.Length; i++) Assert.True(Math.Abs(dl[i] - ed[i]) <= 1e-6 + 1e-6 * Math.Abs(ed[i]), $"decode {i}");
        }
        finally { File.Delete(outFile); }
    }

    [Fact]
    public void GreedyGenerateWithImageContinuesWithTheOfficialArgmax()
    {
        using var cases = SafetensorsFile.Open(Fixture("v41-tiny", "cases.safetensors"));
        long want = cases.Get("image.prefill.argmax_f64").ReadAsInt64()[^1];
        var r = Run("generate", "--model", Fixture("v41-tiny"), "--prompt-ids", string.Join(",", CollapsedPrompt(cases)), "--image", Fixture("v41-tiny", "image.png"),
            "--max-tokens", "2", "--temperature", "0", "--json");
        Assert.True(r.Exit == 0, r.Err);
        using var j = JsonDocument.Parse(r.Out);
        Assert.Equal(want, j.RootElement.GetProperty("ids")[0].GetInt64());
    }

    [Fact]
    public void BadImagesAndMismatchesGetClearErrors()
    {
        string corrupt = Temp(".png"), bomb = Temp(".png"), outFile = Temp(".safetensors");
        try
        {
            byte[] png = File.ReadAllBytes(Fixture("v41-tiny", "image.png"));
            File.WriteAllBytes(corrupt, png[..(png.Length / 3)]);
            File.WriteAllBytes(bomb, [.. png[..16], 0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, .. png[24..]]);   // IHDR says 100000 x 100000
            (string[] Args, string Says)[] cases =
            [
                (["--ids", $"5,{ImageTokenId},7", "--image", corrupt], "truncated"),
                (["--ids", $"5,{ImageTokenId},7", "--image", bomb], "PNG"),
                (["--ids", "5,6,7", "--image", Fixture("v41-tiny", "image.png")], "0 image tokens"),
                (["--ids", $"5,{ImageTokenId},7", "--image", Path.Combine(Path.GetTempPath(), "no-such-image.png")], "no-such-image.png"),
            ];
            foreach (var (args, says) in cases)
            {
                var r = Run(["logits", "--model", Fixture("v41-tiny"), .. args, "--out", outFile]);
                Assert.True(r.Exit != 0, string.Join(' ', args));
                Assert.Contains(says, r.Err);
                Assert.DoesNotContain("   at ", r.Err);
            }
            var v4 = Run("logits", "--model", Fixture("v4-tiny"), "--ids", "5,6", "--image", Fixture("v41-tiny", "image.png"), "--out", outFile);
            Assert.NotEqual(0, v4.Exit);
            Assert.Contains("no vision tower", v4.Err);
        }
        finally { File.Delete(corrupt); File.Delete(bomb); File.Delete(outFile); }
    }
}

public sealed class VisionBenchCommandTests
{
    [Fact]
    public void BenchVisionReportsTheGridAndTimes()
    {
        var r = Run("bench", "--model", Fixture("v41-tiny"), "--vision", "70x56", "--json");
        Assert.True(r.Exit == 0, r.Err);
        using var j = JsonDocument.Parse(r.Out);
        Assert.Equal(20, j.RootElement.GetProperty("patches").GetInt32());
        Assert.Equal(8, j.RootElement.GetProperty("span_tokens").GetInt32());
        Assert.Equal(4, j.RootElement.GetProperty("aligner_rows").GetInt32());
        Assert.True(j.RootElement.GetProperty("tower_s").GetDouble() > 0);
    }

    [Fact]
    public void BenchVisionRefusesABadSize()
    {
        var r = Run("bench", "--model", Fixture("v41-tiny"), "--vision", "70by56");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("WIDTHxHEIGHT", r.Err);
    }
}
