// `sharpseek bench --model DIR [--prompt N | --context N] [--gen M] [--profile] [--head bf16|int8]`: prefill and decode tokens/s, peak
// memory (the prefill computes the last position's logits only, as the engine does); --profile adds
// the time per op kind (BenchProfile); with --shared-prefix N, prefix reuse (PrefixReuseBench); with
// --compare-head, the int8 head's accuracy (HeadAccuracy).
using System.CommandLine;
using SharpSeek.Formats;
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
        var cold = new Option<bool>("--cold") { Description = "Evict the checkpoint's pages from the page cache first (posix_fadvise DONTNEED on its safetensors), so its weights come from the disk" };
        var readAhead = ReadAheadFlag.Create();
        var promptSeed = new Option<int>("--prompt-seed") { Description = "Seed of the random prompt (another seed decodes other tokens, so other experts)", DefaultValueFactory = _ => 1234 };
        var parallel = ParallelRun.Option();
        var specCompare = new Option<bool>("--speculative-compare") { Description = "Greedy decoding of the eval prompts with no draft, MTP and DSpark (each --draft-lengths): best tok/s of --runs alternating runs, accepted tokens per verification" };
        var specPrompts = new Option<int>("--prompts") { Description = "With --speculative-compare: prompts per task (arithmetic, tool call, tool answer)", DefaultValueFactory = _ => 8 };
        var specRuns = new Option<int>("--runs") { Description = "With --speculative-compare: alternating runs (best of)", DefaultValueFactory = _ => 3 };
        var draftLengths = new Option<string>("--draft-lengths") { Description = "With --speculative-compare: DSpark draft lengths to measure, comma-separated (default: the head's block size)" };
        var command = new Command("bench", "Measure prefill and decode speed and peak memory") { model, prompt, gen, json, sharedPrefix, profile, coldEngram, engramReads, head, compareHead, cases, context, activations, compareActivations, parallel, vision, visionLayers, cold, readAhead, promptSeed, specCompare, specPrompts, specRuns, draftLengths };
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
                if (parse.GetValue(vision) is string size) return VisionBench.Run(cfgPath, size, parse.GetValue(visionLayers), parse.GetValue(json), parse.GetValue(profile));
                if (SharpSeek.Model.Config.V41.V41ConfigParser.IsV41(SharpSeek.Model.Config.ModelConfigParser.ReadFile(cfgPath)))
                {
                    if (parse.GetValue(engramReads) is < 0 or > 1024) throw new CliException("--engram-reads must be in [0, 1024]");
                    if (run.Mode != "none") throw new CliException($"--parallel {run.Mode} is available for DeepSeek V4 checkpoints only; '{dir}' is V4.1");
                    WeightsMemory v41Memory = parse.GetValue(coldEngram) ? WeightsMemoryFlag.MappedFor(parse, "--cold-engram") : WeightsMemoryFlag.Read(parse);
                    return V41Bench.Run(dir, cfgPath, n, m, v41Memory, parse.GetValue(coldEngram), parse.GetValue(engramReads), parse.GetValue(json));
                }
            }
            if (parse.GetValue(compareHead)) return HeadAccuracy.Run(dir, n, parse.GetValue(cases), parse.GetValue(json));
            if (parse.GetValue(specCompare))
            {
                if (parse.GetValue(specPrompts) < 1 || parse.GetValue(specRuns) < 1) throw new CliException("--prompts and --runs must be >= 1");
                int[] lengths;
                try { lengths = parse.GetValue(draftLengths)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray() ?? []; }
                catch (FormatException) { throw new CliException($"--draft-lengths '{parse.GetValue(draftLengths)}' must be comma-separated integers"); }
                try
                {
                    using (var probe = ModelDirectory.Open(dir, draft: DraftHeadChoice.DSpark))
                    {
                        int block = probe.Model is IBlockDraftModel b ? b.DraftBlockSize : 0;
                        if (block == 0) throw new CliException($"--speculative-compare needs a V4 model with a DSpark draft head; '{dir}' has none");
                        if (lengths.Length == 0) lengths = [block];
                        foreach (int k in lengths) if (k < 1 || k > block) throw new CliException($"--draft-lengths: {k} is not in [1, {block}] (the head's block size)");
                    }
                    return SpeculativeBench.Run(dir, parse.GetValue(specPrompts), parse.GetValue(specRuns), lengths, Math.Max(m, 200));
                }
                catch (ArgumentException e) { throw new CliException(e.Message); }
            }
            if (parse.GetValue(compareActivations)) return HeadAccuracy.Run(dir, n, parse.GetValue(cases), parse.GetValue(json), HeadAccuracy.Comparison.Activations);
            WeightsMemory weightsMemory = parse.GetValue(cold) || parse.GetValue(readAhead) != ReadAheadFlag.Default
                ? WeightsMemoryFlag.MappedFor(parse, parse.GetValue(cold) ? "--cold" : "--read-ahead") : WeightsMemoryFlag.Read(parse);
            if (parse.GetValue(cold)) PageCache.Evict(dir, "--cold");
            var load = Stopwatch.StartNew();
            using var md = ModelDirectory.Open(dir, head: HeadFlag.Read(parse, head), shard: run.Shard, pipeline: run.Pipeline, activations: ActivationsFlag.Read(parse, activations), weightsMemory: weightsMemory);
            var expertReadAhead = ReadAheadFlag.Attach(parse, readAhead, md);
            double loadS = load.Elapsed.TotalSeconds;
            ILanguageModel lm = md.Model;
            if (parse.GetValue(sharedPrefix) is int shared and > 0)
            {
                if (run.Ranks > 1) throw new CliException("--shared-prefix is not supported with --parallel expert or pipeline");
                return PrefixReuseBench.Run(lm, dir, shared, n, parse.GetValue(json));
            }
            if (parse.GetValue(sharedPrefix) < 0) throw new CliException("--shared-prefix must be >= 0");
            if (n + m > lm.MaxContext) throw new CliException($"{(depth > 0 ? "--context" : "--prompt")} + --gen = {n + m} exceeds the context limit {lm.MaxContext}");
            var rng = new Random(parse.GetValue(promptSeed));
            int[] ids = Enumerable.Range(0, n).Select(_ => rng.Next(lm.VocabSize)).ToArray();
            using ISequence seq = lm.CreateSequence();
            bool profiling = parse.GetValue(profile);
            var v4 = lm as V4LanguageModel;
            if (profiling && v4 is null) throw new CliException("--profile needs a DeepSeek V4 model");
            BenchProfile? prefillProfile = profiling ? new("prefill", n) : null, decodeProfile = profiling ? new("decode", m) : null;
            float[] step = new float[lm.VocabSize];
            prefillProfile?.BeginPhase();
            DiskCounters disk0 = DiskCounters.Read();
            var sw = Stopwatch.StartNew();
            if (v4 is not null) v4.Forward(seq, ids, step, 1, prefillProfile); else lm.ForwardLast(seq, ids, step);
            double prefillS = sw.Elapsed.TotalSeconds;
            DiskCounters disk1 = DiskCounters.Read();
            prefillProfile?.EndPhase();
            int next = ArgMax(step);
            int[] one = new int[1];
            decodeProfile?.BeginPhase();
            expertReadAhead?.Stats.Reset();   // the hit rate of the decode phase
            var (bytes0, exchanges0) = run.Traffic;
            var hop0 = run.PipelineTraffic;
            TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;   // decode CPU seconds (all threads): move less with load than the wall clock
            sw.Restart();
            for (int i = 0; i < m; i++)
            {
                one[0] = next;
                if (v4 is not null) v4.Forward(seq, one, step, null, decodeProfile); else lm.Forward(seq, one, step);
                next = ArgMax(step);
            }
            double decodeS = sw.Elapsed.TotalSeconds;
            double decodeCpuS = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            DiskCounters disk2 = DiskCounters.Read();
            var (bytes1, exchanges1) = run.Traffic;
            var hop1 = run.PipelineTraffic;
            // Pipeline: what rank 1 received from rank 0 per decoded token (one hop), measured there and sent to rank 0.
            double hopBytes = run.Pipeline is null || m == 0 ? 0 : BitConverter.UInt64BitsToDouble(run.World!.Broadcast(BitConverter.DoubleToUInt64Bits((double)(hop1.Bytes - hop0.Bytes) / m), root: 1));
            double logitBytes = run.Pipeline is null || m == 0 ? 0 : (double)(hop1.Broadcast - hop0.Broadcast) / m;
            decodeProfile?.EndPhase();
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            // Under mpirun every rank's peak, gathered on rank 0 (one broadcast from each rank).
            long[] peaks = run.World is { } world ? Enumerable.Range(0, run.Ranks).Select(r => (long)world.Broadcast((ulong)peak, root: r)).ToArray() : [peak];
            var r = new
            {
                model = dir,
                prompt_tokens = n,
                decode_tokens = m,
                load_seconds = loadS,
                activations = SharpSeek.Tensors.ActivationPaths.Name(md.Activations),
                prefill_tokens_per_second = n / prefillS,
                decode_tokens_per_second = m == 0 ? 0 : m / decodeS,
                decode_cpu_seconds = decodeCpuS,
                peak_working_set_bytes = peak,
                peak_working_set_bytes_per_rank = peaks,
                sequence_bytes = seq.BytesAllocated,
                threads = Environment.ProcessorCount,
                ranks = run.Ranks,
                // decode: one token per MoE all-gather, so bytes per all-gather = bytes per token per MoE layer
                decode_exchange_bytes_per_token_per_moe_layer = exchanges1 == exchanges0 ? 0 : (double)(bytes1 - bytes0) / (exchanges1 - exchanges0),
                prefill_disk_read_bytes = (disk1 - disk0).ReadBytes,
                decode_disk_read_bytes = (disk2 - disk1).ReadBytes,
                decode_major_faults = (disk2 - disk1).MajorFaults,
                rss_anon_bytes = disk2.RssAnonBytes,
                rss_file_bytes = disk2.RssFileBytes,
                read_ahead = parse.GetValue(readAhead),
                cold = parse.GetValue(cold),
                read_ahead_hit_rate = ReadAheadReport.ScoreHitRateOrNull(expertReadAhead),
                parallel = run.Mode,
                // pipeline: activations rank 0 -> rank 1 per decoded token (every hop carries the same), and the logits broadcast per token
                decode_pipeline_hop_bytes_per_token = hopBytes,
                decode_logits_broadcast_bytes_per_token = logitBytes,
            };
            if (!run.IsRoot) return 0;
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(r));
            else
            {
                Console.WriteLine($"model     {dir} (loaded in {loadS:F2} s; {SharpSeek.Tensors.ActivationPaths.Name(md.Activations)} activations)");
                Console.WriteLine($"prefill   {n} tokens in {prefillS:F3} s: {r.prefill_tokens_per_second:F1} tokens/s");
                Console.WriteLine($"decode    {m} tokens in {decodeS:F3} s: {r.decode_tokens_per_second:F1} tokens/s (at context {n}..{n + m}), {decodeCpuS:F3} CPU s");
                Console.WriteLine($"memory    peak working set {InspectCommand.Bytes(peak)}, sequence memory {InspectCommand.Bytes(seq.BytesAllocated)}");
                ReadAheadReport.Print(Console.Out, disk1 - disk0, n, prefillS, disk2 - disk1, m, decodeS, disk2, expertReadAhead);
                if (run.Ranks > 1)
                    Console.WriteLine($"ranks     peak working set per rank: {string.Join(", ", peaks.Select(InspectCommand.Bytes))}");
                if (run.Pipeline is not null)
                    Console.WriteLine($"parallel  pipeline over {run.Ranks} ranks: {hopBytes:F0} bytes per decoded token per hop (rank 0 -> 1, measured on rank 1), logits broadcast {logitBytes:F0} bytes per token");
                else if (run.Ranks > 1)
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
