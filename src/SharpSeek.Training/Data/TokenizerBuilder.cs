// Trains the model's own byte-level BPE on generated corpus text with the Tokenization trainer:
// the V4 chat markers as special/added tokens (BOS = 0, EOS = 1 as config.json says) and the
// DeepSeek V4 pre-tokenizer with digits split one by one (so numbers are digit tokens).
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Training;

namespace SharpSeek.Training.Data;

public static class TokenizerBuilder
{
    public static readonly string[] Special = [DsmlTokens.Bos, DsmlTokens.Eos, DsmlTokens.User, DsmlTokens.Assistant];
    public static readonly string[] Added = [DsmlTokens.ThinkStart, DsmlTokens.ThinkEnd, DsmlTokens.Dsml, "<tool_result>", "</tool_result>"];

    public static string PreTokenizer => BpeTrainer.DeepSeekV4PreTokenizer.Replace("\\\\p{N}{1,3}", "\\\\p{N}", StringComparison.Ordinal);

    /// <summary>Trains on <paramref name="samples"/> generated samples (seeded) and writes tokenizer.json.</summary>
    public static void Build(string path, int vocabSize, ulong seed, int samples = 20000, double benchMegabytes = 1.5)
    {
        var gen = new CorpusGenerator(seed);
        var text = new List<string>(samples);
        for (int i = 0; i < samples; i++) text.Add(gen.Next().Text);
        // The templated corpus alone saturates below 1,000 merges; general text fills the vocabulary.
        if (benchMegabytes > 0) text.Add(BenchCorpus.Generate(benchMegabytes, (int)(seed % int.MaxValue)));
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, SpecialTokens = Special, AddedTokens = Added, PreTokenizerJson = PreTokenizer, MinFrequency = 2 });
        TokenizerJsonWriter.Save(trainer.Train(text), path);
    }
}
