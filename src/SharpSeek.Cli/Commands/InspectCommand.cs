// `sharpseek inspect --model DIR|FILE.gguf [--json]`: what a V4 geometry implies (works on a directory
// holding only config.json): layers by kind, parameters, bytes by dtype, KV bytes per token.
using System.CommandLine;
using System.Text.Json;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Cli.Commands;

public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (config.json, weights optional) or a .gguf file", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var ranks = new Option<int?>("--ranks") { Description = "Also show the weight bytes each of N ranks maps under --parallel expert (default) or pipeline" };
        var parallel = new Option<string>("--parallel") { Description = "With --ranks: expert or pipeline", DefaultValueFactory = _ => "expert" };
        var command = new Command("inspect", "Describe a V4 checkpoint or geometry: parameters, bytes, KV memory per token") { model, json, ranks, parallel };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!;
            if (dir.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return GgufInspect.Run(dir, parse.GetValue(json));
            string cfgPath = File.Exists(dir) && dir.EndsWith(".json", StringComparison.Ordinal) ? dir : Path.Combine(dir, "config.json");
            if (!File.Exists(cfgPath)) throw new CliException($"no config.json in '{dir}'");
            if (V41ConfigParser.IsV41(ModelConfigParser.ReadFile(cfgPath))) return V41Inspect.Run(cfgPath, parse.GetValue(json));
            ModelConfig c = ModelConfig.Load(cfgPath);
            ModelInspection i = ModelInspection.Of(c);
            const long million = 1 << 20;
            int? n = parse.GetValue(ranks);
            string mode = parse.GetValue(parallel)!;
            if (mode is not ("expert" or "pipeline")) throw new CliException($"--parallel must be expert or pipeline, got '{mode}'");
            if (mode == "pipeline" && n is { } np) return Distributed.PipelineInspect.Run(c, i, np, parse.GetValue(json));
            if (n is { } nr && (nr < 1 || nr > c.NumRoutedExperts))
                throw new CliException($"--ranks must be in [1, {c.NumRoutedExperts}] (every rank holds at least one of the {c.NumRoutedExperts} routed experts), got {nr}");
            long[]? perRank = n is { } k ? ModelInspection.WeightBytesPerRank(c, k) : null;
            long exchange = ModelInspection.ExchangeBytesPerTokenPerMoeLayer(c);
            if (parse.GetValue(json))
            {
                var obj = new Dictionary<string, object>
                {
                    ["variant"] = i.Variant,
                    ["layers"] = i.Layers,
                    ["layers_window_only"] = i.WindowOnlyLayers,
                    ["layers_indexed_ratio4"] = i.IndexedLayers,
                    ["layers_compressed_ratio_gt4"] = i.HeavilyCompressedLayers,
                    ["hash_layers"] = i.HashLayers,
                    ["mtp_blocks"] = i.MtpBlocks,
                    ["total_params"] = i.TotalParams,
                    ["active_params"] = i.ActiveParams,
                    ["mtp_params"] = i.MtpParams,
                    ["mtp_active_params"] = i.MtpActiveParams,
                    ["tensors"] = i.Tensors,
                    ["bytes_by_dtype"] = i.BytesByDType,
                    ["kv_bytes_per_token"] = i.KvBytesPerToken,
                    ["kv_bytes_per_token_production_format"] = i.KvBytesPerTokenProduction,
                    ["fixed_bytes_per_sequence"] = i.FixedBytesPerSequence,
                    ["memory_bytes_at_1m_context"] = i.MemoryAtContext(million),
                };
                if (perRank is not null)
                {
                    obj["expert_parallel_ranks"] = perRank.Length;
                    obj["weight_bytes_per_rank"] = perRank;
                    obj["exchange_bytes_per_token_per_moe_layer"] = exchange;
                }
                Console.WriteLine(JsonSerializer.Serialize(obj));
                return 0;
            }
            Console.WriteLine($"{i.Variant}  ({cfgPath})");
            Console.WriteLine($"  layers             {i.Layers}: {i.WindowOnlyLayers} window-only, {i.IndexedLayers} ratio-4 indexed, {i.HeavilyCompressedLayers} ratio>4 compressed; {i.HashLayers} hash-routed; {i.MtpBlocks} MTP");
            Console.WriteLine($"  parameters         {Human(i.TotalParams)} total, {Human(i.ActiveParams)} active per token (main model); MTP {Human(i.MtpParams)} ({Human(i.MtpActiveParams)} active)");
            if (c.DSpark is { } ds)
            {
                long dsParams = SharpSeek.Model.Layers.V41.DSparkV4.WeightMap(c).Where(w => w.DType != SharpSeek.Tensors.DType.F8_E8M0)
                    .Sum(w => { var (r, k) = SharpSeek.Model.Weights.WeightInit.Logical(w); return (long)r * k; });
                Console.WriteLine($"  DSpark head        {ds.Stages} stages as {ds.Prefix}.<i>{(ds.ReplacesMtp ? " (in the MTP block's place)" : " (beside the MTP block)")}, block {ds.Head.BlockSize}, Markov rank {ds.Head.MarkovRank}, targets [{string.Join(", ", ds.Head.TargetLayerIds)}]; {Human(dsParams)} parameters (not in the counts above)");
            }
            Console.WriteLine($"  tensors            {i.Tensors}");
            foreach (var (dtype, b) in i.BytesByDType) Console.WriteLine($"  bytes {dtype,-9}    {Bytes(b)}");
            Console.WriteLine($"  KV per token       {i.KvBytesPerToken:F1} B (SharpSeek, RoPE part in fp32); {i.KvBytesPerTokenProduction:F1} B in the production format");
            Console.WriteLine($"  fixed per sequence {Bytes(i.FixedBytesPerSequence)} (window rings, compressor partial blocks)");
            Console.WriteLine($"  memory at 1M ctx   {Bytes(i.MemoryAtContext(million))}");
            if (perRank is not null)
            {
                Console.WriteLine($"  expert parallel    {perRank.Length} ranks; all-gather {Bytes(exchange)} per token per MoE layer (f32 rows); KV replicated on every rank");
                for (int r = 0; r < perRank.Length; r++)
                    Console.WriteLine($"    rank {r,-3}          weights {Bytes(perRank[r])}, with 1M ctx {Bytes(perRank[r] + i.MemoryAtContext(million))}");
            }
            return 0;
        });
        return command;
    }

    internal static string Human(long n) => n >= 1e12 ? $"{n / 1e12:F2}T" : n >= 1e9 ? $"{n / 1e9:F2}B" : n >= 1e6 ? $"{n / 1e6:F2}M" : $"{n}";
    internal static string Bytes(long b) => b >= 1L << 30 ? $"{b / (double)(1L << 30):F2} GiB" : b >= 1 << 20 ? $"{b / (double)(1 << 20):F2} MiB" : b >= 1 << 10 ? $"{b / 1024.0:F1} KiB" : $"{b} B";
}
