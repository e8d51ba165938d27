// Builds a tiny chat-capable model directory for tests and the tmux script: the tiny golden
// checkpoint (random weights) plus a byte-level BPE tokenizer (vocab 1024) trained with the
// tokenizer library, whose special tokens put BOS at 0 and EOS at 1 as the checkpoint's config says.
// Usage: dotnet run scripts/make-chat-test-model.cs -- OUT_DIR
#:project ../src/SharpSeek.Tokenization/SharpSeek.Tokenization.csproj
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Training;

if (args.Length != 1) { Console.Error.WriteLine("usage: make-chat-test-model.cs OUT_DIR"); return 2; }
string repo = Path.GetFullPath(Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory(), ".."));
if (!File.Exists(Path.Combine(repo, "SharpSeek.sln"))) repo = Directory.GetCurrentDirectory();
string tiny = Path.Combine(repo, "tests", "fixtures", "v4-tiny");
string outDir = args[0];
Directory.CreateDirectory(outDir);
foreach (string f in new[] { "config.json", "model.safetensors" })
{
    string dst = Path.Combine(outDir, f);
    if (File.Exists(dst)) File.SetAttributes(dst, FileAttributes.Normal);
    File.Copy(Path.Combine(tiny, f), dst, true);
    File.SetAttributes(dst, FileAttributes.Normal);
}
File.WriteAllText(Path.Combine(outDir, "RANDOM_WEIGHTS"), "");
var corpus = ChatTestCorpus.Lines().Concat(BenchCorpus.Generate(0.5).Split('\n'));
var trained = new BpeTrainer(new BpeTrainerOptions { VocabSize = 1024, MinFrequency = 1, SpecialTokens = ChatTestCorpus.Specials }).Train(corpus);
TokenizerJsonWriter.Save(trained, Path.Combine(outDir, "tokenizer.json"));
Console.Error.WriteLine($"wrote {outDir} (vocab {trained.Vocab.Count})");
return 0;

static class ChatTestCorpus
{
    public static readonly string[] Specials =
        [DsmlTokens.Bos, DsmlTokens.Eos, DsmlTokens.User, DsmlTokens.Assistant, DsmlTokens.LatestReminder, DsmlTokens.ThinkStart, DsmlTokens.ThinkEnd];

    public static IEnumerable<string> Lines()
    {
        string[] words = ["the", "model", "answers", "questions", "about", "code", "and", "math", "hello", "world", "what", "is",
            "a", "token", "chat", "session", "memory", "undo", "reset", "save", "load", "system", "prompt", "deep", "seek",
            "sharp", "engine", "fast", "slow", "random", "weights", "think", "reason", "step", "by", "one", "two", "three"];
        var rng = new Random(1);
        for (int i = 0; i < 3000; i++)
            yield return string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)])) + (i % 3 == 0 ? ".\n" : "? ");
    }
}
