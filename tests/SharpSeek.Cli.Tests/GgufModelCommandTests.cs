// `sharpseek quantize` and the commands that take a .gguf: the lossless GGUF of the tiny golden
// checkpoint gives the safetensors logits bit for bit through `logits`; the GGUF vocabulary written
// from tokenizer.json encodes the golden tokenizer cases exactly as tokenizer.json does; bad recipes,
// a non-deepseek4 GGUF and unsupported vocabularies end in one-line errors.
using System.Text.Json;
using SharpSeek.Cli.Gguf;
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tokenization;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class GgufModelCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-gguf-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LosslessGgufGivesTheSafetensorsLogitsThroughTheCli()
    {
        string gguf = Path.Combine(_dir, "tiny.gguf"), a = Path.Combine(_dir, "a.safetensors"), b = Path.Combine(_dir, "b.safetensors");
        var q = Run("quantize", "--model", Fixture("v4-tiny"), "--out", gguf, "--preset", "lossless");
        Assert.True(q.Exit == 0, q.Err);
        Assert.Contains("Experts    MXFP4", q.Err);
        var l1 = Run("logits", "--model", gguf, "--ids", "5,17,3,99", "--decode", "9,4", "--out", a);
        Assert.True(l1.Exit == 0, l1.Err);
        var l2 = Run("logits", "--model", Fixture("v4-tiny"), "--ids", "5,17,3,99", "--decode", "9,4", "--out", b);
        Assert.True(l2.Exit == 0, l2.Err);
        using var fa = SafetensorsFile.Open(a);
        using var fb = SafetensorsFile.Open(b);
        foreach (string name in new[] { "prefill_logits", "decode_logits" })
            Assert.Equal(fb.Get(name).ReadAsFloat32(), fa.Get(name).ReadAsFloat32());
        var inspect = Run("inspect", "--model", gguf);
        Assert.Contains("deepseek4", inspect.Out);
        Assert.Contains("model         custom V4 geometry (4 layers, dim 256)", inspect.Out);
        // Re-quantising the GGUF itself (its blocks decoded, encoded again) keeps the lossless file's values.
        string again = Path.Combine(_dir, "again.gguf"), c = Path.Combine(_dir, "c.safetensors");
        var rq = Run("quantize", "--model", gguf, "--out", again, "--preset", "lossless");
        Assert.True(rq.Exit == 0, rq.Err);
        Assert.True(Run("logits", "--model", again, "--ids", "5,17,3,99", "--decode", "9,4", "--out", c).Exit == 0);
        using var fc = SafetensorsFile.Open(c);
        Assert.Equal(fb.Get("prefill_logits").ReadAsFloat32(), fc.Get("prefill_logits").ReadAsFloat32());
        var same = Run("quantize", "--model", gguf, "--out", gguf);
        Assert.NotEqual(0, same.Exit);
        Assert.Contains("--out must differ", same.Err);
    }

    [Fact]
    public void V41CheckpointBecomesADeepseek41GgufThatRunsLikeTheDirectory()
    {
        string gguf = Path.Combine(_dir, "v41.gguf"), a = Path.Combine(_dir, "a41.safetensors"), b = Path.Combine(_dir, "b41.safetensors");
        var q = Run("quantize", "--model", Fixture("v41-tiny"), "--out", gguf, "--preset", "lossless");
        Assert.True(q.Exit == 0, q.Err);
        Assert.Contains("deepseek41 GGUF of the text model", q.Err);
        Assert.Contains("deepseek41", Run("inspect", "--model", gguf).Out);
        var l1 = Run("logits", "--model", gguf, "--ids", "5,17,3,99,1000,7,8,9", "--decode", "9,4", "--out", a);
        Assert.True(l1.Exit == 0, l1.Err);
        var l2 = Run("logits", "--model", Fixture("v41-tiny"), "--ids", "5,17,3,99,1000,7,8,9", "--decode", "9,4", "--out", b);
        Assert.True(l2.Exit == 0, l2.Err);
        using var fa = SafetensorsFile.Open(a);
        using var fb = SafetensorsFile.Open(b);
        foreach (string name in new[] { "prefill_logits", "decode_logits" })
        {
            float[] x = fa.Get(name).ReadAsFloat32(), y = fb.Get(name).ReadAsFloat32();
            // the same weights; only the hyper-parameters llama.cpp reads as float32 (eps, thetas) are rounded
            Assert.True(x.Zip(y, (p, r) => Math.Abs(p - r)).Max() < 1e-4, name);
        }
        // generate runs from the GGUF alone (its vocabulary and stored Engram token map) and says what it loaded
        var g = Run("generate", "--model", gguf, "--prompt", "hello world", "--max-tokens", "4", "--temperature", "0");
        Assert.True(g.Exit == 0, g.Err);
        Assert.Contains("DeepSeek V4.1", g.Err);
        // a V4.1 GGUF re-quantised keeps its token map; bench runs it
        string q8 = Path.Combine(_dir, "v41-q8.gguf");
        Assert.True(Run("quantize", "--model", gguf, "--out", q8, "--preset", "q8_0").Exit == 0);
        var bench = Run("bench", "--model", q8, "--prompt", "4", "--gen", "2");
        Assert.True(bench.Exit == 0, bench.Err);
    }

    [Fact]
    public void GgufVocabularyEncodesLikeTokenizerJson()
    {
        string json = Fixture("tokenizer", "tokenizer.json");
        Tokenizer original = Tokenizer.Load(json);
        var meta = GgufVocabulary.FromTokenizerJson(json, 129280, 0, 1).ToDictionary(p => p.Key, p => p.Value);
        Tokenizer fromGguf = GgufVocabulary.ToTokenizer(meta, "test.gguf");
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllBytes(Fixture("tokenizer", "tokenize_cases.json")));
        int n = 0;
        foreach (JsonElement c in cases.RootElement.GetProperty("encode").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            int[] want = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(want, fromGguf.Encode(text));
            Assert.Equal(original.Decode(want), fromGguf.Decode(want));
            n++;
        }
        Assert.True(n > 50);
        meta["tokenizer.ggml.pre"] = GgufValue.Of("llama3");
        var e1 = Assert.Throws<TokenizerFormatException>(() => GgufVocabulary.ToTokenizer(meta, "test.gguf"));
        Assert.Contains("llama3", e1.Message);
    }

    [Fact]
    public void BadRecipesAndForeignGgufsAreRefusedInOneLine()
    {
        string gguf = Path.Combine(_dir, "x.gguf");
        foreach (var (args, expect) in new (string[], string)[]
        {
            (["--preset", "q9"], "--preset 'q9'"),
            (["--experts", "IQ2_XXS"], "--experts 'IQ2_XXS'"),
            (["--attn", "banana"], "--attn 'banana'"),
        })
        {
            var r = Run(["quantize", "--model", Fixture("v4-tiny"), "--out", gguf, .. args]);
            Assert.NotEqual(0, r.Exit);
            Assert.Contains(expect, r.Err);
            Assert.DoesNotContain("   at ", r.Err);
        }
        Assert.False(File.Exists(gguf));
        // A GGUF that is not deepseek4 (ggml's test vectors have no architecture).
        var foreign = Run("logits", "--model", Fixture("ggml", "ggml-quants.gguf"), "--ids", "1", "--out", Path.Combine(_dir, "l.safetensors"));
        Assert.NotEqual(0, foreign.Exit);
        Assert.Contains("general.architecture", foreign.Err);
        Assert.DoesNotContain("   at ", foreign.Err);
        var missing = Run("bench", "--model", Path.Combine(_dir, "none.gguf"));
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("none.gguf", missing.Err);
    }
}
