// `sharpseek eval --model DIR --task arithmetic|toolcall|passkey|all [--n N] [--seed S] [--context L] [--json] [--mtp] [--show-failures]`:
// greedy held-out evaluation of a model directory through the inference engine.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Cli.Eval;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (config.json, safetensors, tokenizer.json)", DefaultValueFactory = _ => "models/default" };
        var task = new Option<string>("--task") { Description = "arithmetic, toolcall, passkey or all", DefaultValueFactory = _ => "all" };
        var n = new Option<int>("--n") { Description = "Prompts per task", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the held-out prompts", DefaultValueFactory = _ => 20260 };
        var context = new Option<int>("--context") { Description = "Pass-key prompt length in tokens", DefaultValueFactory = _ => 2000 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with fractions 0..1" };
        var mtp = new Option<bool>("--mtp") { Description = "Also measure the MTP draft acceptance rate (speculative decoding)" };
        var showFailures = new Option<bool>("--show-failures") { Description = "Print the expected answer and the completion of every miss (to stderr)" };
        var head = HeadFlag.Create();
        var activations = ActivationsFlag.Create();
        var command = new Command("eval", "Evaluate a model on held-out generated tasks (greedy)") { model, task, n, seed, context, json, mtp, showFailures, head, activations };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!, t = parse.GetValue(task)!;
            int count = parse.GetValue(n), ctx = parse.GetValue(context);
            ulong s = parse.GetValue(seed);
            string[] tasks = t == "all" ? ["arithmetic", "toolcall", "passkey"] : [t];
            foreach (string x in tasks)
                if (x is not ("arithmetic" or "toolcall" or "passkey")) throw new CliException($"unknown task '{x}' (arithmetic, toolcall, passkey or all)");
            if (count <= 0) throw new CliException("--n must be positive");
            var headPrecision = HeadFlag.Read(parse, head);
            ModelDirectory md;
            try { md = ModelDirectory.Open(dir, maxContext: Math.Max(ctx + 64, 512), head: headPrecision, activations: ActivationsFlag.Read(parse, activations), weightsMemory: WeightsMemoryFlag.Read(parse)); }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or ArgumentException) { throw new CliException($"cannot open model '{dir}': {e.Message}"); }
            using (md)
            {
                Evaluator ev;
                try { ev = new Evaluator(md); }
                catch (FileNotFoundException e) { throw new CliException(e.Message); }
                var scores = new SortedDictionary<string, double>(StringComparer.Ordinal);
                foreach (string x in tasks)
                {
                    EvalResult r = x switch
                    {
                        "arithmetic" => ev.Arithmetic(count, s),
                        "toolcall" => ev.ToolCall(count, s),
                        _ => ev.PassKey(count, s, ctx),
                    };
                    foreach (var (k, v) in r.Scores) scores[k] = v;
                    if (parse.GetValue(showFailures))
                        foreach (var (want, got) in r.Failures) Console.Error.WriteLine($"[{x} miss] expected: {want}\n  completion: {got.ReplaceLineEndings("\\n")}");
                    if (!parse.GetValue(json)) foreach (var (k, v) in r.Scores) Console.WriteLine($"{k,-18} {v * 100,6:F1}%  (n={r.N})");
                }
                if (parse.GetValue(mtp))
                {
                    double a = ev.MtpAcceptance(Math.Min(count, 32), s);
                    scores["mtp_acceptance"] = a;
                    if (!parse.GetValue(json)) Console.WriteLine($"{"mtp_acceptance",-18} {a * 100,6:F1}%");
                }
                if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(scores));
            }
            return 0;
        });
        return command;
    }
}
