// The GGUF llama.cpp's own converter makes of the tiny golden checkpoint (tests/fixtures/ggml/
// v4-tiny-llama-convert.gguf, bench/convert_with_llama.py): its vocabulary says pre-tokenizer
// 'joyai-llm' (llama.cpp's name for the V4 tokenizer's check-text hash, with deepseek-v3's expressions)
// and holds the V4 tokenizer cut to the model's 1,024 ids; SharpSeek reads it and runs the file, and
// with the converter's MTP file beside it (mtp-v4-tiny-llama-convert.gguf) decodes speculatively.
// `quantize --mtp` writes that MTP file too.
using SharpSeek.Cli.Gguf;
using SharpSeek.Formats.Gguf;
using SharpSeek.Tokenization;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class LlamaConvertedGgufCliTests
{
    [Fact]
    public void ItsVocabularyEncodesLikeTheV4TokenizerWithinItsIds()
    {
        using GgufFile f = GgufFile.Open(Fixture("ggml", "v4-tiny-llama-convert.gguf"));
        Assert.Equal("joyai-llm", f.Require("tokenizer.ggml.pre").AsString("tokenizer.ggml.pre"));
        Tokenizer cut = GgufVocabulary.ToTokenizer(f.Metadata, f.Path);
        Tokenizer full = Tokenizer.Load(Fixture("tokenizer", "tokenizer.json"));
        int checkedTexts = 0;
        foreach (string text in new[] { "in the", "a b c 1 2 3", "  the, of it.", "on and in to" })
        {
            int[] want = full.Encode(text).ToArray();
            Assert.All(want, id => Assert.True(id < 1024, $"{text}: id {id} is outside the cut vocabulary"));
            Assert.Equal(want, cut.Encode(text).ToArray());
            Assert.Equal(text, cut.Decode(want));
            checkedTexts++;
        }
        Assert.Equal(4, checkedTexts);
    }

    [Fact]
    public void SpeculativeDecodingWithItsMtpFileGivesTheSameGreedyIds()
    {
        string model = Fixture("ggml", "v4-tiny-llama-convert.gguf");
        string[] common = ["generate", "--model", model, "--prompt-ids", "5,17,3,99", "--max-tokens", "8", "--temperature", "0", "--json"];
        var plain = Run(common);
        var spec = Run([.. common, "--speculative", "mtp"]);
        Assert.True(plain.Exit == 0, plain.Err);
        Assert.True(spec.Exit == 0, spec.Err);
        using var a = System.Text.Json.JsonDocument.Parse(plain.Out.Trim().Split('\n')[^1]);
        using var b = System.Text.Json.JsonDocument.Parse(spec.Out.Trim().Split('\n')[^1]);
        Assert.Equal(a.RootElement.GetProperty("ids").ToString(), b.RootElement.GetProperty("ids").ToString());
        Assert.True(b.RootElement.GetProperty("drafted_tokens").GetInt32() > 0);
    }

    [Fact]
    public void QuantizeMtpWritesTheMtpFileBesideTheModel()
    {
        string dir = Directory.CreateTempSubdirectory("sharpseek-quantize-mtp-").FullName;
        try
        {
            string gguf = Path.Combine(dir, "tiny.gguf");
            var q = Run("quantize", "--model", Fixture("v4-tiny"), "--out", gguf, "--preset", "q8_0", "--mtp");
            Assert.True(q.Exit == 0, q.Err);
            Assert.Contains("mtp-tiny.gguf (the MTP block", q.Err);
            using (GgufFile f = GgufFile.Open(Path.Combine(dir, "mtp-tiny.gguf")))
                Assert.Equal(GgmlTypeQ80, f.Tensor("blk.4.nextn.eh_proj.weight").Type.Name);
            var g = Run("generate", "--model", gguf, "--prompt-ids", "5,17,3", "--max-tokens", "4", "--temperature", "0", "--speculative", "mtp");
            Assert.True(g.Exit == 0, g.Err);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private const string GgmlTypeQ80 = "Q8_0";

    [Fact]
    public void LogitsRunsOnIt()
    {
        string out_ = Path.Combine(Path.GetTempPath(), "sharpseek-llama-convert-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var r = Run("logits", "--model", Fixture("ggml", "v4-tiny-llama-convert.gguf"), "--ids", "5,17,3", "--decode", "9", "--out", out_);
            Assert.True(r.Exit == 0, r.Err);
            Assert.Contains("prefill_logits [3, 1024]", r.Out + r.Err);
        }
        finally { File.Delete(out_); }
    }
}
