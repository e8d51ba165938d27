// Held-out evaluation through the inference engine (ModelDirectory + Runtime Generator, greedy),
// for `sharpseek eval`: a front end of the engine, so it lives in the CLI, not in Training:
// arithmetic exact match, DSML tool calls (well-formed; right tool and arguments and an answer
// that quotes the tool result), pass-key retrieval at a given context length, and the MTP
// draft acceptance rate in speculative decoding. Prompts come from CorpusGenerator with the given
// seed (the trainer's data seed is different).
using System.Text.Json;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Training.Data;

namespace SharpSeek.Cli.Eval;

/// <summary>Scores of one task; Failures holds (expected answer or call, completion) of every missed prompt.</summary>
public sealed record EvalResult(string Task, int N, IReadOnlyDictionary<string, double> Scores)
{
    public IReadOnlyList<(string Expected, string Completion)> Failures { get; init; } = [];
}

public sealed class Evaluator
{
    private readonly Generator _gen;
    private readonly Tokenizer _tok;
    private readonly IReadOnlyList<int> _eos;

    public Evaluator(ModelDirectory model)
    {
        if (model.TokenizerPath is null) throw new FileNotFoundException($"model directory '{model.Path}' has no tokenizer.json");
        _tok = Tokenizer.Load(model.TokenizerPath);
        _gen = new Generator(model.Model);
        _eos = [model.Config.EosTokenId];
    }

    /// <summary>Greedy completions of the prompts (decoded with special tokens, as the chat parser expects).</summary>
    public IReadOnlyList<string> Complete(IReadOnlyList<string> prompts, int maxNew, bool speculative = false, List<double>? acceptance = null)
    {
        var reqs = prompts.Select(p => new GenerationRequest { PromptIds = _tok.Encode(p), MaxNewTokens = maxNew, EosTokenIds = _eos, Speculative = speculative }).ToList();
        var outs = new List<string>();
        for (int i = 0; i < reqs.Count; i += 8)
            foreach (GenerationResult r in _gen.GenerateBatch(reqs.Skip(i).Take(8).ToList()))
            {
                outs.Add(_tok.Decode(r.Ids.ToArray()));   // keeps EOS: the chat parser requires it
                if (r.Speculative is { Drafted: > 0 } s) acceptance?.Add(s.AcceptanceRate);
            }
        return outs;
    }

    public EvalResult Arithmetic(int n, ulong seed)
    {
        var g = new CorpusGenerator(seed);
        var samples = Enumerable.Range(0, n).Select(_ => g.Arithmetic()).ToList();
        var outs = Complete(samples.Select(s => s.Prompt).ToList(), 200);
        var failures = Misses(samples, outs);
        return new EvalResult("arithmetic", n, new Dictionary<string, double> { ["arithmetic"] = (double)(n - failures.Count) / n }) { Failures = failures };
    }

    public EvalResult ToolCall(int n, ulong seed)
    {
        var g = new CorpusGenerator(seed);
        var episodes = Enumerable.Range(0, n).Select(_ => g.ToolEpisode()).ToList();
        var calls = Complete(episodes.Select(e => e.Call.Prompt).ToList(), 120);
        var answers = Complete(episodes.Select(e => e.Answer.Prompt).ToList(), 80);
        int valid = 0, correct = 0;
        var failures = new List<(string, string)>();
        for (int i = 0; i < n; i++)
        {
            var (ok, right) = JudgeCall(episodes[i].Call, calls[i]);
            bool quoted = Content(answers[i]).Contains(episodes[i].Answer.Answer, StringComparison.Ordinal);
            if (ok) valid++;
            if (right && quoted) correct++;
            else if (!right) failures.Add(($"{episodes[i].Call.Call!.Tool} {JsonSerializer.Serialize(episodes[i].Call.Call!.Arguments)}", calls[i]));
            else failures.Add((episodes[i].Answer.Answer, answers[i]));
        }
        return new EvalResult("toolcall", n, new Dictionary<string, double> { ["toolcall_valid"] = (double)valid / n, ["toolcall_correct"] = (double)correct / n }) { Failures = failures };
    }

    public EvalResult PassKey(int n, ulong seed, int context)
    {
        var samples = new List<Sample>();
        for (int i = 0; i < n; i++)
        {
            // size the filler so the prompt is about `context` tokens
            int chars = context * 3;
            Sample s = new CorpusGenerator(seed + (ulong)i).PassKey(chars);
            for (int k = 0; k < 3; k++)
            {
                int len = _tok.Encode(s.Prompt).Length;
                if (Math.Abs(len - context) <= context / 50) break;
                chars = (int)(chars * (double)context / len);
                s = new CorpusGenerator(seed + (ulong)i).PassKey(chars);
            }
            samples.Add(s);
        }
        var outs = Complete(samples.Select(s => s.Prompt).ToList(), 24);
        var failures = Misses(samples, outs);
        return new EvalResult("passkey", n, new Dictionary<string, double> { ["passkey"] = (double)(n - failures.Count) / n }) { Failures = failures };
    }

    private static List<(string Expected, string Completion)> Misses(List<Sample> samples, IReadOnlyList<string> outs) =>
        samples.Zip(outs).Where(p => !AnswerCorrect(p.First, p.Second)).Select(p => (p.First.Answer, p.Second)).ToList();

    /// <summary>Mean MTP draft acceptance over speculative greedy decoding of arithmetic prompts.</summary>
    public double MtpAcceptance(int n, ulong seed)
    {
        var g = new CorpusGenerator(seed);
        var acc = new List<double>();
        Complete(Enumerable.Range(0, n).Select(_ => g.Arithmetic().Prompt).ToList(), 200, speculative: true, acceptance: acc);
        return acc.Count == 0 ? 0 : acc.Average();
    }

    /// <summary>The completion's final answer (after the reasoning) equals the sample's answer exactly.</summary>
    public static bool AnswerCorrect(Sample s, string completion) => Content(completion) == s.Answer;

    /// <summary>Valid: a parsable DSML call of a known tool with JSON-object arguments; Right: the expected tool and arguments.</summary>
    public static (bool Valid, bool Right) JudgeCall(Sample call, string completion)
    {
        ExpectedCall want = call.Call!;
        ParsedCompletion parsed;
        try { parsed = CompletionParser.Parse(completion, ThinkingMode.Thinking); }
        catch (Exception) { return (false, false); }   // any malformed completion counts as invalid
        if (parsed.ToolCalls.Count == 0 || !CorpusGenerator.Tools.Contains(parsed.ToolCalls[0].Name)) return (false, false);
        Dictionary<string, string>? args = Args(parsed.ToolCalls[0].Arguments);
        if (args is null) return (false, false);
        bool right = parsed.ToolCalls[0].Name == want.Tool && args.Count == want.Arguments.Count
                     && want.Arguments.All(kv => args.TryGetValue(kv.Key, out string? v) && v == kv.Value);
        return (true, right);
    }

    private static string Content(string completion)
    {
        try { return CompletionParser.Parse(completion, ThinkingMode.Thinking).Content.Trim(); }
        catch (Exception) { return ""; }
    }

    private static Dictionary<string, string>? Args(string json)
    {
        try
        {
            using JsonDocument d = JsonDocument.Parse(json);
            if (d.RootElement.ValueKind != JsonValueKind.Object) return null;
            return d.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
        }
        catch (JsonException) { return null; }
    }
}
