// Boundary: THE table between the model's own weight names (WeightScope, the official checkpoint
// layout) and llama.cpp's `deepseek4` GGUF tensor names (src/models/deepseek4.cpp, its converter).
// Loading and `sharpseek quantize` both read it; the names on our side come from WeightScope.Record,
// so no layer is described twice. Routed experts are merged per layer in GGUF ([n_expert, out, in]):
// expert j of layers.i.ffn.experts.j.w1 is slice j of blk.i.ffn_gate_exps. FP8/FP4 ".scale" tensors
// have no GGUF name (their factor lives in the blocks). The MTP block lives in a separate GGUF, as
// llama.cpp's converter writes it (`--mtp`): block n_layers + k under the layer names, e_proj and
// h_proj as the two halves of nextn.eh_proj (concatenated along the input), enorm / hnorm / norm as
// nextn.enorm / nextn.hnorm / nextn.shared_head_norm, and the block's own hc_head as that file's
// output_hc_* (MtpTable). llama.cpp has a name for every MTP tensor, so no name of our own is needed.
using System.Text.RegularExpressions;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Gguf;

public static partial class Deepseek4GgufNames
{
    private static readonly Dictionary<string, string> s_top = new(StringComparer.Ordinal)
    {
        ["embed.weight"] = "token_embd.weight",
        ["norm.weight"] = "output_norm.weight",
        ["head.weight"] = "output.weight",
        ["hc_head_fn"] = "output_hc_fn.weight",
        ["hc_head_base"] = "output_hc_base.weight",
        ["hc_head_scale"] = "output_hc_scale.weight",
    };

    // layers.{i}.<key>  ->  blk.{i}.<value>
    private static readonly Dictionary<string, string> s_layer = new(StringComparer.Ordinal)
    {
        ["attn_norm.weight"] = "attn_norm.weight",
        ["ffn_norm.weight"] = "ffn_norm.weight",
        ["hc_attn_fn"] = "hc_attn_fn.weight",
        ["hc_attn_base"] = "hc_attn_base.weight",
        ["hc_attn_scale"] = "hc_attn_scale.weight",
        ["hc_ffn_fn"] = "hc_ffn_fn.weight",
        ["hc_ffn_base"] = "hc_ffn_base.weight",
        ["hc_ffn_scale"] = "hc_ffn_scale.weight",
        ["attn.attn_sink"] = "attn_sinks.weight",
        ["attn.wq_a.weight"] = "attn_q_a.weight",
        ["attn.q_norm.weight"] = "attn_q_a_norm.weight",
        ["attn.wq_b.weight"] = "attn_q_b.weight",
        ["attn.wkv.weight"] = "attn_kv.weight",
        ["attn.kv_norm.weight"] = "attn_kv_a_norm.weight",
        ["attn.wo_a.weight"] = "attn_output_a.weight",
        ["attn.wo_b.weight"] = "attn_output_b.weight",
        ["attn.compressor.ape"] = "attn_compressor_ape.weight",
        ["attn.compressor.wkv.weight"] = "attn_compressor_kv.weight",
        ["attn.compressor.wgate.weight"] = "attn_compressor_gate.weight",
        ["attn.compressor.norm.weight"] = "attn_compressor_norm.weight",
        ["attn.indexer.wq_b.weight"] = "indexer.attn_q_b.weight",
        ["attn.indexer.weights_proj.weight"] = "indexer.proj.weight",
        ["attn.indexer.compressor.ape"] = "indexer_compressor_ape.weight",
        ["attn.indexer.compressor.wkv.weight"] = "indexer_compressor_kv.weight",
        ["attn.indexer.compressor.wgate.weight"] = "indexer_compressor_gate.weight",
        ["attn.indexer.compressor.norm.weight"] = "indexer_compressor_norm.weight",
        ["ffn.gate.weight"] = "ffn_gate_inp.weight",
        ["ffn.gate.bias"] = "exp_probs_b.bias",
        ["ffn.gate.tid2eid"] = "ffn_gate_tid2eid.weight",
        ["ffn.shared_experts.w1.weight"] = "ffn_gate_shexp.weight",
        ["ffn.shared_experts.w2.weight"] = "ffn_down_shexp.weight",
        ["ffn.shared_experts.w3.weight"] = "ffn_up_shexp.weight",
    };

    // ffn.experts.{j}.w{1,2,3}.weight -> slice j of the merged tensor
    private static readonly Dictionary<string, string> s_experts = new(StringComparer.Ordinal)
    {
        ["w1"] = "ffn_gate_exps.weight",
        ["w2"] = "ffn_down_exps.weight",
        ["w3"] = "ffn_up_exps.weight",
    };

    // mtp.{k}.<key>  ->  the MTP file's <value> (block n_layers + k; {b} is that block's prefix)
    private static readonly Dictionary<string, GgufTensorRef> s_mtp = new(StringComparer.Ordinal)
    {
        ["e_proj.weight"] = new("{b}nextn.eh_proj.weight", Part: 0, Parts: 2),
        ["h_proj.weight"] = new("{b}nextn.eh_proj.weight", Part: 1, Parts: 2),
        ["enorm.weight"] = new("{b}nextn.enorm.weight"),
        ["hnorm.weight"] = new("{b}nextn.hnorm.weight"),
        ["norm.weight"] = new("{b}nextn.shared_head_norm.weight"),
        ["hc_head_fn"] = new("output_hc_fn.weight"),
        ["hc_head_base"] = new("output_hc_base.weight"),
        ["hc_head_scale"] = new("output_hc_scale.weight"),
    };

    [GeneratedRegex(@"^layers\.(?<i>\d+)\.(?<rest>.+)$")]
    private static partial Regex LayerName();

    [GeneratedRegex(@"^mtp\.(?<k>\d+)\.(?<rest>.+)$")]
    private static partial Regex MtpName();

    [GeneratedRegex(@"^ffn\.experts\.(?<j>\d+)\.(?<w>w[123])\.weight$")]
    private static partial Regex ExpertName();

    /// <summary>Where an official tensor lives in a deepseek4 GGUF, or null (block scales, MTP).</summary>
    public static GgufTensorRef? ToGguf(string name)
    {
        if (s_top.TryGetValue(name, out string? top)) return new GgufTensorRef(top);
        Match m = LayerName().Match(name);
        return m.Success ? InBlock(int.Parse(m.Groups["i"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["rest"].Value) : null;
    }

    // A block tensor (layer or MTP block) under blk.{block}.
    private static GgufTensorRef? InBlock(int block, string rest)
    {
        string blk = "blk." + block.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
        if (s_layer.TryGetValue(rest, out string? g)) return new GgufTensorRef(blk + g);
        Match e = ExpertName().Match(rest);
        if (e.Success) return new GgufTensorRef(blk + s_experts[e.Groups["w"].Value], int.Parse(e.Groups["j"].Value, System.Globalization.CultureInfo.InvariantCulture));
        return null;
    }

    /// <summary>Where an MTP tensor (mtp.{k}.*) lives in the separate MTP GGUF of a model with <paramref name="numLayers"/> main layers, or null.</summary>
    public static GgufTensorRef? ToMtpGguf(string name, int numLayers)
    {
        Match m = MtpName().Match(name);
        if (!m.Success) return null;
        int k = int.Parse(m.Groups["k"].Value, System.Globalization.CultureInfo.InvariantCulture);
        string rest = m.Groups["rest"].Value;
        if (s_mtp.TryGetValue(rest, out GgufTensorRef r))
        {
            if (k > 0 && !r.GgufName.StartsWith("{b}", StringComparison.Ordinal)) return null;   // output_hc_*: one MTP block per file, as llama.cpp
            return r with { GgufName = r.GgufName.Replace("{b}", $"blk.{numLayers + k}.", StringComparison.Ordinal) };
        }
        return InBlock(numLayers + k, rest);
    }

    /// <summary>
    /// The MTP file's table: <paramref name="config"/>'s MTP weights, and the shared embedding, head and
    /// final norm that llama.cpp's MTP file carries too (the model reads those from the main file).
    /// </summary>
    public static Dictionary<string, GgufTensorRef> MtpTable(ModelConfig config)
    {
        var table = new Dictionary<string, GgufTensorRef>(StringComparer.Ordinal);
        foreach (WeightSpec spec in Architectures.DeepSeekV4<float>.WeightMap(config))
            if (ToMtpGguf(spec.Name, config.NumLayers) is { } r) table[spec.Name] = r;
        return table;
    }

    /// <summary>The main-model tensors llama.cpp's MTP file repeats (its loader requires them).</summary>
    public static IReadOnlyList<string> MtpFileSharedNames { get; } = ["embed.weight", "norm.weight", "head.weight"];

    /// <summary>The official names of <paramref name="config"/>'s weights (from the module structure) that a GGUF stores, with their GGUF place.</summary>
    public static Dictionary<string, GgufTensorRef> Table(ModelConfig config)
    {
        var table = new Dictionary<string, GgufTensorRef>(StringComparer.Ordinal);
        foreach (WeightSpec spec in Architectures.DeepSeekV4<float>.WeightMap(config))
            if (ToGguf(spec.Name) is { } r) table[spec.Name] = r;
        return table;
    }
}
