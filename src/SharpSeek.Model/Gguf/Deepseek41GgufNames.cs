// Boundary: the model's own V4.1 weight names -> a `deepseek41` GGUF. Everything V4.1 shares with V4
// keeps V4's llama.cpp name (Deepseek4GgufNames, the one table); the V4.1 additions take the names of
// llama.cpp's V4.1 converter: the indexer's own key projection (indexer.attn_k, indexer.k_norm) and the
// Engram tensors (engram_embd + engram_embd_scale: the FP8 E4M3 table and its E8M0 row scales, kept as
// raw bytes in I8 tensors since ggml has no FP8 type; engram_q, engram_k, engram_wkv). Like llama.cpp's
// converter, the GGUF holds the text model: no vision tower (nor the image routing bias) and no DSpark head.
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Gguf;

public static class Deepseek41GgufNames
{
    /// <summary>The I32 [vocab] tensor holding Engram's compressed token map (llama.cpp's V4.1 converter stores it so too).</summary>
    public const string EngramTokenMap = "engram_token_map";

    // layers.{i}.<key> -> blk.{i}.<value>: what V4.1 adds to V4's table
    private static readonly Dictionary<string, GgufTensorRef> s_layer = new(StringComparer.Ordinal)
    {
        ["attn.indexer.wk.weight"] = new("indexer.attn_k.weight"),
        ["attn.indexer.k_norm.weight"] = new("indexer.k_norm.weight"),
        ["engram.embed.weight"] = new("engram_embd.weight", Bytes: DType.F8_E4M3),
        ["engram.embed.scale"] = new("engram_embd_scale.weight", Bytes: DType.F8_E8M0),
        ["engram.q_weight"] = new("engram_q.weight"),
        ["engram.k_weight"] = new("engram_k.weight"),
        ["engram.wkv.weight"] = new("engram_wkv.weight"),
    };

    /// <summary>The config a deepseek41 GGUF holds: the text model (vision and the DSpark head left out, as llama.cpp's converter does).</summary>
    public static V41Config TextModel(V41Config c) => c with
    {
        Base = c.Base with { NumMtpLayers = 0, CompressRatios = c.Base.CompressRatios.Take(c.Base.NumLayers).ToArray() },
        DSpark = c.DSpark with { BlockSize = 0, TargetLayerIds = [] },
        Vision = c.Vision with { NumLayers = 0 },
    };

    /// <summary>Where a V4.1 tensor lives in a deepseek41 GGUF, or null (FP8/FP4 block scales).</summary>
    public static GgufTensorRef? ToGguf(string name)
    {
        const string prefix = "layers.";
        if (name.StartsWith(prefix, StringComparison.Ordinal))
        {
            int dot = name.IndexOf('.', prefix.Length);
            if (dot > 0 && s_layer.TryGetValue(name[(dot + 1)..], out GgufTensorRef r))
                return r with { GgufName = "blk." + name[prefix.Length..dot] + "." + r.GgufName };
        }
        return Deepseek4GgufNames.ToGguf(name);
    }

    /// <summary>The official names of the text model of <paramref name="config"/> with their GGUF place; a tensor without one (other than a block scale) is an error.</summary>
    public static Dictionary<string, GgufTensorRef> Table(V41Config config)
    {
        var table = new Dictionary<string, GgufTensorRef>(StringComparer.Ordinal);
        foreach (WeightSpec spec in DeepSeekV41<float>.WeightMap(TextModel(config)))
        {
            if (ToGguf(spec.Name) is { } r) table[spec.Name] = r;
            else if (!spec.Name.EndsWith(WeightScope.ScaleSuffix, StringComparison.Ordinal))
                throw new InvalidOperationException($"V4.1 tensor '{spec.Name}' has no deepseek41 GGUF name");
        }
        return table;
    }
}
