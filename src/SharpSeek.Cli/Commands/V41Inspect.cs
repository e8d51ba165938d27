// `sharpseek inspect` on a V4.1 config: layer roles, parameters, Engram tables apart from resident
// weights, KV bytes per token and memory at 1M context.
using System.Text.Json;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Cli.Commands;

public static class V41Inspect
{
    public static int Run(string cfgPath, bool json)
    {
        V41Inspection i = V41Inspection.Of(V41Config.Load(cfgPath));
        const long million = 1 << 20;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["variant"] = i.Variant,
                ["layers"] = i.Layers,
                ["layers_window_only"] = i.WindowOnlyLayers,
                ["compressed_layers_by_ratio"] = i.CompressedLayersByRatio.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value),
                ["kv_source_layers"] = i.KvSources,
                ["index_source_layers"] = i.IndexSources,
                ["engram_layers"] = i.EngramLayers,
                ["total_params"] = i.TotalParams,
                ["active_params"] = i.ActiveParams,
                ["dspark_params"] = i.DSparkParams,
                ["vision_params"] = i.VisionParams,
                ["engram_table_rows"] = i.EngramTableRows,
                ["engram_values_read_per_token"] = i.EngramValuesPerToken,
                ["tensors"] = i.Tensors,
                ["bytes_by_dtype"] = i.BytesByDType,
                ["engram_table_bytes"] = i.EngramTableBytes,
                ["resident_weight_bytes"] = i.ResidentWeightBytes,
                ["kv_bytes_per_token"] = i.KvBytesPerToken,
                ["fixed_bytes_per_sequence"] = i.FixedBytesPerSequence,
                ["engine_bytes_per_token"] = i.EngineBytesPerToken,
                ["memory_bytes_at_1m_context"] = i.MemoryAtContext(million),
            }));
            return 0;
        }
        string H(long n) => InspectCommand.Human(n);
        string B(long n) => InspectCommand.Bytes(n);
        Console.WriteLine($"{i.Variant}  ({cfgPath})");
        Console.WriteLine($"  layers             {i.Layers}: {i.WindowOnlyLayers} window-only, {string.Join(", ", i.CompressedLayersByRatio.Select(kv => $"{kv.Value} ratio-{kv.Key}"))}");
        Console.WriteLine($"  roles              KV sources [{string.Join(", ", i.KvSources)}], index sources [{string.Join(", ", i.IndexSources)}], Engram [{string.Join(", ", i.EngramLayers)}]");
        Console.WriteLine($"  parameters         {H(i.TotalParams)} total, {H(i.ActiveParams)} active per token (main model, Engram tables apart); DSpark {H(i.DSparkParams)}; vision {H(i.VisionParams)}");
        Console.WriteLine($"  Engram tables      {H(i.EngramTableRows)} rows, {B(i.EngramTableBytes)} on disk (memory-mapped, not resident); {i.EngramValuesPerToken} values read per token");
        Console.WriteLine($"  resident weights   {B(i.ResidentWeightBytes)}");
        Console.WriteLine($"  tensors            {i.Tensors}");
        foreach (var (dtype, b) in i.BytesByDType) Console.WriteLine($"  bytes {dtype,-9}    {B(b)}");
        Console.WriteLine($"  KV per token       {i.KvBytesPerToken:F2} B (official formats: FP4 compressed KV + index keys of the KV sources); SharpSeek {i.EngineBytesPerToken:F2} B (the same rows + Engram history and key publisher)");
        Console.WriteLine($"  fixed per sequence {B(i.FixedBytesPerSequence)} (FP8 window rings, partial groups)");
        Console.WriteLine($"  memory at 1M ctx   {B(i.MemoryAtContext(million))}");
        return 0;
    }
}
