// `sharpseek inspect --model DIR --ranks N --parallel pipeline`: the layer range, weight bytes and
// sequence memory of every rank when the network is cut into N pipeline stages, and the bytes that
// cross each hop per token. The text form is for people, --json for scripts.
using System.Text.Json;
using SharpSeek.Cli.Commands;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Distributed;

namespace SharpSeek.Cli.Distributed;

public static class PipelineInspect
{
    public static int Run(ModelConfig c, ModelInspection whole, int ranks, bool json)
    {
        if (ranks < 1 || ranks > c.NumLayers)
            throw new CliException($"--ranks must be in [1, {c.NumLayers}] under --parallel pipeline (every rank runs at least one of the {c.NumLayers} layers), got {ranks}");
        const long million = 1 << 20;
        PipelineRankMemory[] per = PipelineRankMemory.Of(c, ranks);
        long hop = PipelineRankMemory.HopBytesPerToken(c), logits = PipelineRankMemory.LogitBytesPerToken(c);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["variant"] = whole.Variant,
                ["layers"] = c.NumLayers,
                ["pipeline_ranks"] = ranks,
                ["layer_ranges"] = per.Select(p => new[] { p.FirstLayer, p.EndLayer }).ToArray(),
                ["weight_bytes_per_rank"] = per.Select(p => p.WeightBytes).ToArray(),
                ["embedding_lookup_bytes_per_rank"] = per.Select(p => p.LookupBytes).ToArray(),
                ["kv_bytes_per_token_per_rank"] = per.Select(p => p.KvBytesPerToken).ToArray(),
                ["memory_bytes_at_1m_context_per_rank"] = per.Select(p => p.MemoryAtContext(million)).ToArray(),
                ["hop_bytes_per_token"] = hop,
                ["logits_broadcast_bytes_per_token"] = logits,
            }));
            return 0;
        }
        Console.WriteLine($"{whole.Variant}: pipeline over {ranks} ranks (layers cut by weight bytes; embedding on rank 0; hc_head, norm, head and MTP on rank {ranks - 1})");
        Console.WriteLine($"  per token: {InspectCommand.Bytes(hop)} of hc streams across each hop (f32), logits {InspectCommand.Bytes(logits)} broadcast from the last rank");
        foreach (var p in per)
        {
            string lookup = p.LookupBytes > 0 ? $" (+ embedding {InspectCommand.Bytes(p.LookupBytes)} mapped for MTP lookups, rows read on use)" : "";
            Console.WriteLine($"    rank {p.Rank,-3} layers {p.FirstLayer,3}..{p.EndLayer - 1,-3} weights {InspectCommand.Bytes(p.WeightBytes)}{lookup}, KV {p.KvBytesPerToken:F1} B/token, with 1M ctx {InspectCommand.Bytes(p.WeightBytes + p.MemoryAtContext(million))}");
        }
        return 0;
    }
}
