// `sharpseek bench --model DIR [--prompt N | --context N] [--gen M] [--profile] [--head bf16|int8]`: prefill and decode tokens/s, peak
// memory (the prefill computes the last position's logits only, as the engine does); --profile adds
// the time per op kind (BenchProfile); with --shared-prefix N, prefix reuse (PrefixReuseBench); with
// --compare-head, the int8 head's accuracy (HeadAccuracy).
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SharpSeek.Cli.Distributed;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory or a deepseek4 .gguf file", Required = true };
        var prompt = new Option<int>("--prompt") { Description = "Prompt tokens", DefaultValueFactory = _ => 128 };
        var gen = new Option<int>("--gen") { Description = "Tokens to decode", DefaultValueFactory = _ => 32 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var sharedPrefix = new Option<int>("--shared-prefix") { Description = "Measure prefix reuse: time to first token of two requests sharing this many tokens (each adds --prompt tokens)" };
        var profile = new Option<bool>("--profile") { Description = "Print where prefill and decode time goes per op kind, and allocations/GCs" };
        var coldEngram = new Option<bool>("--cold-engram") { Description = "V4.1: evict the checkpoint's pages from the page cache first, so Engram rows come from the disk" };
        var engramReads = new Option<int>("--engram-reads") { Description = "V4.1: Engram prefetch (> 0: rows requested up front with madvise WILLNEED, or that many faulting threads where unavailable); 0 = rows faulted in on use", DefaultValueFactory = _ => 32 };
        var context = new Option<int>("--context") { Description = "Decode at this depth: prefill N tokens (instead of --prompt), then time --gen decoded tokens" };
        var head = HeadFlag.Create();
        var activations = ActivationsFlag.Create();
        var compareActivations = new Option<bool>("--compare-activations") { Description = "Measure int8 activations' accuracy against exact ones (top-1 agreement, KL) instead of speed" };
        var compareHead = new Option<bool>("--compare-head") { Description = "Measure the int8 head's accuracy against the bf16 head (top-1 agreement, KL) instead of speed" };
        var cases = new Option<string?>("--cases") { Description = "With --compare-head: golden cases file (caseK.prefill_ids, decode_ids, logits) instead of random prompts" };
        var vision = new Option<string?>("--vision") { Description = "V4.1: time and memory to encode one WIDTHxHEIGHT image with the config's vision geometry and random weights (only config.json is read)" };
        var visionLayers = new Option<int>("--vision-layers") { Description = "With --vision: run this many ViT blocks (default all) and scale the tower time to all" };
        var parallel = ParallelRun.Option();
        var command = new Command("bench", "Measure prefill and decode speed and peak memory") { model, prompt, gen, json, sharedPrefix, profile, coldEngram, engramReads, head, compareHead, cases, context, activations, compareActivations, parallel, vision, visionLayers };
        command.SetAction(parse => ParallelRun.Run(parse.GetValue(parallel)!, run =>
        {
            string dir = parse.GetValue(model)!;
            int n = parse.GetValue(prompt), m = parse.GetValue(gen), depth = parse.GetValue(context);
            if (depth < 0) throw new CliException($"--context must be >= 1 (got {depth})");
            if (depth > 0) n = depth;
            if (n < 1 || m < 0) throw new CliException("--prompt must be >= 1 and --gen >= 0");
            if (SharpSeek.Model.Gguf.Deepseek4Gguf.IsGgufPath(dir))
            {
                if (!File.Exists(dir)) throw new CliException($"GGUF file '{dir}' does not exist");
            }
            else
            {
                string cfgPath = LogitsCommand.RequireConfig(dir);
                if (parse.GetValue(vision) is string size) return VisionBench.Run(cfgPath, size, parse.GetValue(visionLayers), parse.GetValue(json));
                if (SharpSeek.Model.Config.V41.V41ConfigParser.IsV41(SharpSeek.Model.Config.ModelConfigParser.ReadFile(cfgPath)))
                {
                    if (parse.GetValue(engramReads) is < 0 or > 1024) throw new CliException("--engram-reads must be in [0, 1024]");
                    return V41Bench.Run(dir, cfgPath, n, m, parse.GetValue(coldEngram), parse.GetValue(engramReads), parse.GetValue(json));
                }
            }
            if (parse.GetValue(compareHead)) return HeadAccuracy.Run(dir, n, parse.GetValue(cases), parse.GetValue(json));
            if (parse.GetValue(compareActivations)) return HeadAccuracy.Run(dir, n, parse.GetValue(cases), parse.GetValue(json), HeadAccuracy.Comparison.Activations);
            var load = Stopwatch.StartNew();
            using var md = ModelDirectory.Open(dir, head: HeadFlag.Read(parse, head), shard: run.Shard, activations: ActivationsFlag.Read(parse, activations));
            double loadS = load.Elapsed.TotalSeconds;
            ILanguageModel lm = md.Model;
            if (parse.GetValue(sharedPrefix) is int shared and > 0)
            {
                if (run.Ranks > 1) throw new CliException("--shared-prefix is not supported with --parallel expert");
                return PrefixReuseBench.Run(lm, dir, shared, n, parse.GetValue(json));
            }
            if (parse.GetValue(sharedPrefix) < 0) throw new CliException("--shared-prefix must be >= 0");
            if (n + m > lm.MaxContext) throw new CliException($"{(depth > 0 ? "--context" : "--prompt")} + --gen = {n + m} exceeds the context limit {lm.MaxContext}");
            var rng = new Random(1234);
            int[] ids = Enumerable.Range(0, n).Select(_ => rng.Next(lm.VocabSize)).ToArray();
            using ISequence seq = lm.CreateSequence();
            bool profiling = parse.GetValue(profile);
            var v4 = lm as V4LanguageModel;
            if (profiling && v4 is null) throw new CliException("--profile needs a DeepSeek V4 model");
            BenchProfile? prefillProfile = profiling ? new("prefill", n) : null, decodeProfile = profiling ? new("decode", m) : null;
            float[] step = new float[lm.VocabSize];
            prefillProfile?.BeginPhase();
            var sw = Stopwatch.StartNew();
            if (v4 is not null) v4.Forward(seq, ids, step, 1, prefillProfile); else lm.ForwardLast(seq, ids, step);
            double prefillS = sw.Elapsed.TotalSeconds;
            prefillProfile?.EndPhase();
            int next = ArgMax(step);
            int[] one = new int[1];
            decodeProfile?.BeginPhase();
            var (bytes0, exchanges0) = run.Traffic;
            sw.Restart();
            for (int i = 0; i < m; i++)
            {
                one[0] = next;
                if (v4 is not null) v4.Forward(seq, one, step, null, decodeProfile); else lm.Forward(seq, one, step);
                next = ArgMax(step);
            }
            double decodeS = sw.Elapsed.TotalSeconds;
            var (bytes1, exchanges1) = run.Traffic;
            decodeProfile?.EndPhase();
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            var r = new
            {
                model = dir,
                prompt_tokens = n,
                decode_tokens = m,
                load_seconds = loadS,
                prefill_tokens_per_second = n / prefillS,
                decode_tokens_per_second = m == 0 ? 0 : m / decodeS,
                peak_working_set_bytes = peak,
                sequence_bytes = seq.BytesAllocated,
                threads = Environment.ProcessorCount,
                ranks = run.Ranks,
                // decode: one token per MoE all-gather, so bytes per all-gather = bytes per token per MoE layer
                decode_exchange_bytes_per_token_per_moe_layer = exchanges1 == exchanges0 ? 0 : (double)(bytes1 - bytes0) / (exchanges1 - exchanges0),
            };
            if (!run.IsRoot) return 0;
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(r));
            else
            {
                Console.WriteLine($"model     {dir} (loaded in {loadS:F2} s)");
                Console.WriteLine($"prefill   {n} tokens in {prefillS:F3} s: {r.prefill_tokens_per_second:F1} tokens/s");
                Console.WriteLine($"decode    {m} tokens in {decodeS:F3} s: {r.decode_tokens_per_second:F1} tokens/s (at context {n}..{n + m})");
                Console.WriteLine($"memory    peak working set {InspectCommand.Bytes(peak)}, sequence memory {InspectCommand.Bytes(seq.BytesAllocated)}");
                if (run.Ranks > 1)
                    Console.WriteLine($"parallel  expert over {run.Ranks} ranks: rank 0 received {r.decode_exchange_bytes_per_token_per_moe_layer:F0} bytes per decoded token per MoE layer");
            }
            prefillProfile?.Print(Console.Out);
            decodeProfile?.Print(Console.Out);
            return 0;
        }));
        return command;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
