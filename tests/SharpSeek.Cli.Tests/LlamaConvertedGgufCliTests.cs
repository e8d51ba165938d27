// The GGUF llama.cpp's own converter makes of the tiny golden checkpoint (tests/fixtures/ggml/
// v4-tiny-llama-convert.gguf, bench/convert_with_llama.py): its vocabulary says pre-tokenizer
// 'joyai-llm' (llama.cpp's name for the V4 tokenizer's check-text hash, with deepseek-v3's expressions)
// and holds the V4 tokenizer cut to the model's 1,024 ids; SharpSeek reads it and runs the file.
using SharpSeek.Cli.Gguf;
using SharpSeek.Formats.Gguf;
using SharpSeek.Tokenization;
using static SharpSeek.Cli.Tests.SharpSeekProcess;

namespace SharpSeek.Cli.Tests;

public sealed class LlamaConvertedGgufCliTests
{
    private static string Fixtures(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpSeek.sln"))) return Path.Combine([d.FullName, "tests", "fixtures", .. parts]);
        throw new DirectoryNotFoundException("SharpSeek.sln not found");
    }

    [Fact]
    public void ItsVocabularyEncodesLikeTheV4TokenizerWithinItsIds()
    {
        using GgufFile f = GgufFile.Open(Fixtures("ggml", "v4-tiny-llama-convert.gguf"));
        Assert.Equal("joyai-llm", f.Require("tokenizer.ggml.pre").AsString("tokenizer.ggml.pre"));
        Tokenizer cut = GgufVocabulary.ToTokenizer(f.Metadata, f.Path);
        Tokenizer full = Tokenizer.Load(Fixtures("tokenizer", "tokenizer.json"));
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
    public void LogitsRunsOnIt()
    {
        string out_ = Path.Combine(Path.GetTempPath(), "sharpseek-llama-convert-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var r = Run("logits", "--model", Fixtures("ggml", "v4-tiny-llama-convert.gguf"), "--ids", "5,17,3", "--decode", "9", "--out", out_);
            Assert.True(r.Exit == 0, r.Err);
            Assert.Contains("prefill_logits [3, 1024]", r.Out + r.Err);
        }
        finally { File.Delete(out_); }
    }
}
