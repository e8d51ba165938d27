// `sharpseek bench --model DIR --speculative-compare [--prompts N] [--runs R] [--draft-lengths 1,3,5]`:
// greedy decoding of the evaluation prompts (arithmetic, tool calls and tool answers of `sharpseek eval`'s
// seed, thinking mode) with no draft head, with the MTP block and with the DSpark head (each draft length),
// the modes alternating within every run; per mode the best decode tokens/s over the runs, and for the
// drafting modes the mean draft tokens accepted per verification (and tokens per main-model pass =
// accepted + 1). Every mode must give the same tokens as plain greedy (checked; a mismatch is an error).
using System.Diagnostics;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Speculative;
using SharpSeek.Tokenization;
using SharpSeek.Training.Data;

namespace SharpSeek.Cli.Commands;

public static class SpeculativeBench
{
    public const ulong EvalSeed = 20260;

    private sealed record Mode(string Name, ILanguageModel Model, bool Speculative, int? Depth);

    public static int Run(string dir, int promptsPerTask, int runs, IReadOnlyList<int> draftLengths, int maxNew)
    {
        using var plain = ModelDirectory.Open(dir, draft: DraftHeadChoice.Mtp);
        using var spark = ModelDirectory.Open(dir, draft: DraftHeadChoice.DSpark);
        if (plain.TokenizerPath is null) throw new CliException($"'{dir}' has no tokenizer.json (the evaluation prompts are text)");
        var tok = Tokenizer.Load(plain.TokenizerPath);
        var g = new CorpusGenerator(EvalSeed);
        var prompts = new List<int[]>();
        for (int i = 0; i < promptsPerTask; i++) prompts.Add(tok.Encode(g.Arithmetic().Prompt));
        for (int i = 0; i < promptsPerTask; i++)
        {
            var (call, answer) = g.ToolEpisode();
            prompts.Add(tok.Encode(call.Prompt));
            prompts.Add(tok.Encode(answer.Prompt));
        }
        var modes = new List<Mode> { new("none", plain.Model, false, null) };
        if (plain.Model.HasDraftHead) modes.Add(new("mtp", plain.Model, true, null));
        foreach (int k in draftLengths) modes.Add(new($"dspark/{k}", spark.Model, true, k));
        int[][] reference = prompts.Select(p => Generate(plain.Model, p, false, null, maxNew).Ids.ToArray()).ToArray();   // warm-up and the greedy truth
        var best = modes.ToDictionary(m => m.Name, _ => 0.0);
        var stats = new Dictionary<string, (int Steps, int Accepted, int Drafted)>();
        for (int r = 0; r < runs; r++)
            foreach (Mode m in r % 2 == 0 ? modes : Enumerable.Reverse(modes))
            {
                long tokens = 0;
                double seconds = 0;
                int steps = 0, accepted = 0, drafted = 0;
                for (int i = 0; i < prompts.Count; i++)
                {
                    GenerationResult res = Generate(m.Model, prompts[i], m.Speculative, m.Depth, maxNew);
                    if (!res.Ids.SequenceEqual(reference[i])) throw new CliException($"{m.Name}: prompt {i} decoded other tokens than plain greedy");
                    tokens += res.Ids.Count - 1;
                    seconds += res.DecodeTime.TotalSeconds;
                    if (res.Speculative is { } s) { steps += s.Steps; accepted += s.Accepted; drafted += s.Drafted; }
                }
                best[m.Name] = Math.Max(best[m.Name], tokens / seconds);
                stats[m.Name] = (steps, accepted, drafted);
                Console.Error.WriteLine($"run {r + 1}/{runs} {m.Name}: {tokens / seconds:F1} tok/s");
            }
        Console.WriteLine($"{prompts.Count} evaluation prompts (seed {EvalSeed}: {promptsPerTask} arithmetic, {promptsPerTask} tool calls, {promptsPerTask} tool answers), greedy, best of {runs} alternating runs");
        Console.WriteLine("mode        decode tok/s  accepted/verification  tokens/main pass  acceptance");
        foreach (Mode m in modes)
        {
            var (steps, acc, dr) = stats.GetValueOrDefault(m.Name);
            string a = steps == 0 ? "-" : $"{(double)acc / steps:F2}", t = steps == 0 ? "1.00" : $"{(double)(acc + steps) / steps:F2}", p = dr == 0 ? "-" : $"{(double)acc / dr:P1}";
            Console.WriteLine($"{m.Name,-11} {best[m.Name],12:F1}  {a,21}  {t,16}  {p,10}");
        }
        return 0;
    }

    private static GenerationResult Generate(ILanguageModel model, int[] prompt, bool speculative, int? depth, int maxNew) =>
        new Generator(model).Generate(new GenerationRequest
        {
            PromptIds = prompt, MaxNewTokens = maxNew, EosTokenIds = model.EosTokenIds, Speculative = speculative,
            BlockDraftSource = depth is int k && model is IBlockDraftModel b ? new DSparkDraftSource(b, k) : null,
            MaxRollback = 16,
        });
}
