// Shared test assets: the tiny random V4 checkpoint, a BPE tokenizer trained here (vocab 1024, ids
// within the model's vocabulary, V4 control strings as special tokens) and the DSML completion
// texts the scripted model emits. One instance per test collection (no static mutable state).
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Training;

namespace SharpSeek.Extensions.AI.Tests;

public sealed class TestAssets : IDisposable
{
    public const string WeatherCall =
        "Let me check the weather.</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n" +
        "<｜DSML｜parameter name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>";
    public const string WeatherAnswer = "It is sunny.</think>It is 22 degrees and sunny in Paris.";

    private readonly ModelDirectory _tiny;

    public TestAssets()
    {
        string dir = Path.Combine(FindRepo(), "tests", "fixtures", "v4-tiny");
        _tiny = ModelDirectory.Open(dir, 512);
        string[] specials = [DsmlTokens.Bos, DsmlTokens.Eos, DsmlTokens.User, DsmlTokens.Assistant, DsmlTokens.ThinkStart, DsmlTokens.ThinkEnd, DsmlTokens.LatestReminder];
        var corpus = new List<string> { BenchCorpus.Generate(0.05), WeatherCall, WeatherAnswer, "The weather in Paris is sunny. What is the weather? Hello, how are you?" };
        TrainedBpe bpe = new BpeTrainer(new BpeTrainerOptions { VocabSize = 1024, SpecialTokens = specials }).Train(corpus);
        Tokenizer = Tokenizer.FromJson(TokenizerJsonWriter.ToJson(bpe));
    }

    public ILanguageModel Tiny => _tiny.Model;
    public Tokenizer Tokenizer { get; }

    /// <summary>A model that answers every prompt with <paramref name="completion"/> then EOS.</summary>
    public ScriptedModel Scripted(string completion, int delayMs = 0) =>
        new(Tokenizer.Encode(completion), Tokenizer.TokenToId(DsmlTokens.Assistant)!.Value, Tokenizer.TokenToId(DsmlTokens.Eos)!.Value, 1024) { DelayMs = delayMs };

    public static string FindRepo()
    {
        for (string? d = AppContext.BaseDirectory; d != null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, "SharpSeek.sln"))) return d;
        throw new DirectoryNotFoundException("SharpSeek.sln not found above the test directory");
    }

    public void Dispose() => _tiny.Dispose();
}

[CollectionDefinition("assets")]
public sealed class AssetsCollection : ICollectionFixture<TestAssets>;
