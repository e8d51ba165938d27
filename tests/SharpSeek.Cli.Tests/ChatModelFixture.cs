// A chat-capable tiny model for tests: the golden tiny checkpoint (random weights) plus a BPE
// tokenizer trained on a generated corpus with BOS = 0 and EOS = 1 (the checkpoint's ids). The same
// recipe as scripts/make-chat-test-model.cs.
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Training;

namespace SharpSeek.Cli.Tests;

public sealed class ChatModelFixture : IDisposable
{
    public ChatModelFixture()
    {
        Dir = Path.Combine(Path.GetTempPath(), "sharpseek-chat-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        foreach (string f in new[] { "config.json", "model.safetensors" })
        {
            string dst = Path.Combine(Dir, f);
            File.Copy(SharpSeekProcess.Fixture("v4-tiny", f), dst);
            File.SetAttributes(dst, FileAttributes.Normal);
        }
        File.WriteAllText(Path.Combine(Dir, "RANDOM_WEIGHTS"), "");
        string[] specials = [DsmlTokens.Bos, DsmlTokens.Eos, DsmlTokens.User, DsmlTokens.Assistant, DsmlTokens.LatestReminder, DsmlTokens.ThinkStart, DsmlTokens.ThinkEnd];
        var trained = new BpeTrainer(new BpeTrainerOptions { VocabSize = 1024, MinFrequency = 1, SpecialTokens = specials })
            .Train(BenchCorpus.Generate(0.2).Split('\n'));
        TokenizerJsonWriter.Save(trained, Path.Combine(Dir, "tokenizer.json"));
        Model = ModelDirectory.Open(Dir);
        Tokenizer = Tokenizer.Load(Path.Combine(Dir, "tokenizer.json"));
    }

    public string Dir { get; }
    public ModelDirectory Model { get; }
    public Tokenizer Tokenizer { get; }

    public void Dispose()
    {
        Model.Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
