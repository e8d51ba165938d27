// `sharpseek generate` and `sharpseek chat` as a user runs them (child process): JSON output,
// greedy = speculative greedy, seeds reproduce, text + stop strings with a tokenizer, and one clear
// error line with a non-zero exit for every kind of bad input.
using System.Text.Json;

namespace SharpSeek.Cli.Tests;

public sealed class GenerateCommandTests(ChatModelFixture fx) : IClassFixture<ChatModelFixture>
{
    private static string Tiny => SharpSeekProcess.Fixture("v4-tiny");

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement.Clone();
    private static int[] Ids(JsonElement e) => e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Fact]
    public void JsonGreedyAndSpeculativeAgree()
    {
        var plain = SharpSeekProcess.Run("generate", "--model", Tiny, "--prompt-ids", "5,17,3,99,250", "--temperature", "0", "--max-tokens", "12", "--json");
        Assert.True(plain.Exit == 0, plain.Err);
        var spec = SharpSeekProcess.Run("generate", "--model", Tiny, "--prompt-ids", "5,17,3,99,250", "--temperature", "0", "--max-tokens", "12", "--json", "--speculative");
        Assert.True(spec.Exit == 0, spec.Err);
        JsonElement p = Json(plain.Out), s = Json(spec.Out);
        Assert.Equal(12, Ids(p).Length);
        Assert.Equal(Ids(p), Ids(s));
        Assert.Equal(5, p.GetProperty("prompt_tokens").GetInt32());
        Assert.True(p.GetProperty("decode_tokens_per_second").GetDouble() > 0);
        Assert.False(p.TryGetProperty("acceptance_rate", out _));
        Assert.InRange(s.GetProperty("acceptance_rate").GetDouble(), 0, 1);
        Assert.False(p.TryGetProperty("text", out _));   // no tokenizer
        Assert.False(p.GetProperty("random_weights").GetBoolean());
    }

    [Fact]
    public void SeedReproducesAndTextModeStreamsIds()
    {
        string[] args = ["generate", "--model", Tiny, "--prompt-ids", "1,2,3", "--temperature", "0.8", "--top-p", "0.9", "--top-k", "50", "--seed", "11", "--max-tokens", "8"];
        var a = SharpSeekProcess.Run(args);
        var b = SharpSeekProcess.Run(args);
        Assert.Equal(0, a.Exit);
        Assert.Equal(a.Out, b.Out);
        Assert.Equal(8, a.Out.Trim().Split(',').Length);
        Assert.Contains("tok/s", a.Err);
        // Without --model: models/default (the trained sharpseek-nano, not random, with a tokenizer).
        var d = SharpSeekProcess.Run("generate", "--prompt-ids", "1,2,3", "--max-tokens", "2", "--json");
        Assert.True(d.Exit == 0, d.Err);
        Assert.DoesNotContain("RANDOM weights", d.Err);
        Assert.False(Json(d.Out).GetProperty("random_weights").GetBoolean());
        Assert.True(Json(d.Out).TryGetProperty("text", out _), "the default model has a tokenizer");
    }

    [Fact]
    public void TextPromptWithTokenizerGivesTextAndHonoursStop()
    {
        var r = SharpSeekProcess.Run("generate", "--model", fx.Dir, "--prompt", "the model reads text", "--temperature", "0", "--max-tokens", "16", "--json");
        Assert.True(r.Exit == 0, r.Err);
        JsonElement j = Json(r.Out);
        string text = j.GetProperty("text").GetString()!;
        Assert.Equal(fx.Tokenizer.Decode(Ids(j), skipSpecialTokens: true), text);
        // A stop string taken from the middle of that text ends generation before it.
        string visible = text.Trim();
        if (visible.Length >= 4)
        {
            string stop = visible.Substring(visible.Length / 2, 2);
            var s = SharpSeekProcess.Run("generate", "--model", fx.Dir, "--prompt", "the model reads text", "--temperature", "0", "--max-tokens", "16", "--json", "--stop", stop);
            Assert.True(s.Exit == 0, s.Err);
            JsonElement js = Json(s.Out);
            Assert.Equal("stop", js.GetProperty("finish_reason").GetString());
            Assert.DoesNotContain(stop, js.GetProperty("text").GetString()!);
            Assert.StartsWith(js.GetProperty("text").GetString()!, text);
        }
    }

    public static TheoryData<string[], string> BadInputs => new()
    {
        { ["generate", "--model", "/no/such/dir", "--prompt-ids", "1"], "does not exist" },
        { ["generate", "--model", Tiny], "give a prompt" },
        { ["generate", "--model", Tiny, "--prompt", "hi", "--prompt-ids", "1"], "alternatives" },
        { ["generate", "--model", Tiny, "--prompt", "hello"], "--prompt-ids" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,x"], "not a non-negative integer" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,5000"], "outside the vocabulary" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,2", "--top-p", "0"], "top-p" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,2", "--top-p", "1.5"], "top-p" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,2", "--temperature", "-1"], "temperature" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,2", "--max-tokens", "0"], "--max-tokens" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,2", "--stop", "x"], "tokenizer" },
        { ["generate", "--model", Tiny, "--prompt-ids", "1,2,3,4,5,6", "--context", "4"], "context holds 4" },
        { ["generate", "--model", Tiny, "--prompt-file", "/no/such/file.txt"], "does not exist" },
        { ["chat", "--model", Tiny], "tokenizer" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputGetsOneClearLine(string[] args, string expected)
    {
        var r = SharpSeekProcess.Run(args);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);   // no stack trace
    }

    [Fact]
    public void MalformedPromptFileAndSpeculativeWithoutMtpAreRejected()
    {
        string bin = Path.Combine(fx.Dir, "binary.txt");
        File.WriteAllBytes(bin, [0xff, 0xfe, 0x00, 0x80, 0xc3]);
        var r = SharpSeekProcess.Run("generate", "--model", fx.Dir, "--prompt-file", bin);
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("not valid UTF-8", r.Err);
        string empty = Path.Combine(fx.Dir, "empty.txt");
        File.WriteAllText(empty, "");
        Assert.Contains("is empty", SharpSeekProcess.Run("generate", "--model", fx.Dir, "--prompt-file", empty).Err);

        // A copy of the tiny config without the MTP block, random weights from init-random.
        string cfg = File.ReadAllText(Path.Combine(Tiny, "config.json")).Replace("\"num_nextn_predict_layers\": 1", "\"num_nextn_predict_layers\": 0")
            .Replace("\"compress_ratios\": [\n    0,\n    4,\n    16,\n    4,\n    0\n  ]", "\"compress_ratios\": [0, 4, 16, 4]");
        string cfgPath = Path.Combine(fx.Dir, "nomtp.json"), outDir = Path.Combine(fx.Dir, "nomtp");
        File.WriteAllText(cfgPath, cfg);
        var init = SharpSeekProcess.Run("init-random", "--config", cfgPath, "--out", outDir);
        Assert.True(init.Exit == 0, init.Err);
        var spec = SharpSeekProcess.Run("generate", "--model", outDir, "--prompt-ids", "1,2", "--speculative");
        Assert.NotEqual(0, spec.Exit);
        Assert.Contains("MTP", spec.Err);
    }
}
