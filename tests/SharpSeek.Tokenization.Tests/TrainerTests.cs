// BPE trainer: trains on a generated corpus, saves a tokenizer.json, reloads it and round-trips text;
// its default pre-tokenizer is exactly the DeepSeek V4 one.
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Tokenization.Training;
using Training = SharpSeek.Tokenization.Training;

namespace SharpSeek.Tokenization.Tests;

public sealed class TrainerTests
{
    internal static IEnumerable<string> Corpus(int lines, int seed)
    {
        var rng = new Random(seed);
        string[] words = ["the", "model", "token", "merge", "byte", "pair", "encoding", "deep", "seek", "数据", "模型", "テスト", "fn", "let", "return", "x", "value"];
        for (int i = 0; i < lines; i++)
        {
            var parts = Enumerable.Range(0, rng.Next(3, 15)).Select(_ => rng.Next(6) == 0 ? rng.Next(0, 10000).ToString() : words[rng.Next(words.Length)]);
            yield return string.Join(rng.Next(5) == 0 ? ", " : " ", parts) + (rng.Next(3) == 0 ? ".\n" : "\n");
        }
    }

    [Fact]
    public void Trains_saves_and_round_trips()
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 600, SpecialTokens = ["<s>", "</s>"], AddedTokens = ["<tool>"] });
        TrainedBpe model = trainer.Train(Corpus(3000, 5));
        Assert.Equal(600, model.Vocab.Count);
        string path = Path.Combine(Path.GetTempPath(), $"sharpseek-trained-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerJsonWriter.Save(model, path);
            Tokenizer tok = Tokenizer.Load(path);
            Assert.Equal(600, tok.VocabSize);
            foreach (string line in Corpus(200, 6).Append("<s>unseen ÜBER 🙂 text<tool></s>"))
                Assert.Equal(line, tok.Decode(tok.Encode(line)));
            int[] ids = tok.Encode("<s>the model</s>");
            Assert.Equal(0, ids[0]);
            Assert.Equal(1, ids[^1]);
            Assert.True(tok.Encode("the model token merge").Length <= 8, "merges were learned");
            Assert.Equal("the model", tok.Decode(ids, skipSpecialTokens: true));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Default_pre_tokenizer_is_the_v4_one()
    {
        using JsonDocument v4 = Fixtures.Load("tokenizer.json");
        using JsonDocument ours = JsonDocument.Parse(BpeTrainer.DeepSeekV4PreTokenizer);
        Assert.True(JsonElement.DeepEquals(v4.RootElement.GetProperty("pre_tokenizer"), ours.RootElement));
    }

    [Fact]
    public void Trains_4096_vocab_on_megabytes_quickly()
    {
        string[] corpus = Training.BenchCorpus.Generate(3).Split('\n'); // 3 MB mixed text
        var sw = Stopwatch.StartNew();
        TrainedBpe model = new BpeTrainer(new BpeTrainerOptions { VocabSize = 4096 }).Train(corpus);
        sw.Stop();
        Assert.Equal(4096, model.Vocab.Count);
        Assert.True(sw.Elapsed.TotalSeconds < 60, $"took {sw.Elapsed}");
    }
}
