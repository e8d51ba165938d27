// The valid range of every config.json key, written once. ModelConfigParser checks each value
// against its range as it reads it; ModelConfigValidator then checks cross-key rules and sizes.
// The bounds are generous (V4-Flash/Pro sit far inside them) but finite, so that every product of
// them can be computed in 64 bits and every loop bounded by them ends.
namespace SharpSeek.Model.Config;

/// <summary>An integer key's valid closed range [Min, Max].</summary>
public sealed record IntRange(string Key, long Min, long Max)
{
    /// <summary>The name inside its JSON object ("factor" for "rope_scaling.factor").</summary>
    public string Leaf => Key[(Key.LastIndexOf('.') + 1)..];

    public override string ToString() => $"[{Min}, {Max}]";
}

/// <summary>A real key's valid range: finite, Min &lt; value (or Min &lt;= value when MinInclusive), value &lt;= Max.</summary>
public sealed record RealRange(string Key, double Min, double Max, bool MinInclusive)
{
    public string Leaf => Key[(Key.LastIndexOf('.') + 1)..];

    public bool Contains(double v) => double.IsFinite(v) && (MinInclusive ? v >= Min : v > Min) && v <= Max;
    public override string ToString() => $"{(MinInclusive ? "[" : "(")}{Min:R}, {Max:R}]";
}

public static class ModelConfigRanges
{
    /// <summary>The most elements one tensor may have: what one .NET array or span can index (Array.MaxLength).</summary>
    public const long MaxTensorElements = 0x7FFFFFC7;

    public static readonly IntRange VocabSize = new("vocab_size", 1, 1 << 24);
    public static readonly IntRange HiddenSize = new("hidden_size", 1, 1 << 16);
    public static readonly IntRange NumHiddenLayers = new("num_hidden_layers", 1, 1024);
    public static readonly IntRange NumNextnPredictLayers = new("num_nextn_predict_layers", 0, 16);
    public static readonly IntRange NumAttentionHeads = new("num_attention_heads", 1, 1024);
    public static readonly IntRange NumKeyValueHeads = new("num_key_value_heads", 1, 1);
    public static readonly IntRange HeadDim = new("head_dim", 2, 8192);
    public static readonly IntRange QkRopeHeadDim = new("qk_rope_head_dim", 2, 8192);
    public static readonly IntRange QLoraRank = new("q_lora_rank", 1, 1 << 16);
    public static readonly IntRange OLoraRank = new("o_lora_rank", 1, 1 << 16);
    public static readonly IntRange OGroups = new("o_groups", 1, 1024);
    public static readonly IntRange SlidingWindow = new("sliding_window", 1, 1 << 16);
    public static readonly IntRange IndexNHeads = new("index_n_heads", 1, 1024);
    public static readonly IntRange IndexHeadDim = new("index_head_dim", 32, 8192);
    public static readonly IntRange IndexTopK = new("index_topk", 1, 1 << 16);
    public static readonly IntRange NRoutedExperts = new("n_routed_experts", 1, 1 << 16);
    public static readonly IntRange NSharedExperts = new("n_shared_experts", 1, 1);
    public static readonly IntRange NumExpertsPerTok = new("num_experts_per_tok", 1, 1024);
    public static readonly IntRange MoeIntermediateSize = new("moe_intermediate_size", 1, 1 << 17);
    public static readonly IntRange NumHashLayers = new("num_hash_layers", 0, 1024);
    public static readonly IntRange HcMult = new("hc_mult", 1, 64);
    public static readonly IntRange HcSinkhornIters = new("hc_sinkhorn_iters", 1, 1000);
    public static readonly IntRange MaxPositionEmbeddings = new("max_position_embeddings", 1, 1 << 24);
    public static readonly IntRange CompressRatio = new("compress_ratios[i]", 0, 1 << 16);
    public static readonly IntRange OriginalMaxPositionEmbeddings = new("rope_scaling.original_max_position_embeddings", 1, 1 << 24);
    public static readonly IntRange TokenId = new("bos_token_id/eos_token_id", 0, (1 << 24) - 1);

    public static readonly RealRange RmsNormEps = new("rms_norm_eps", 0, 1, MinInclusive: false);
    public static readonly RealRange HcEps = new("hc_eps", 0, 1, MinInclusive: false);
    public static readonly RealRange RoutedScalingFactor = new("routed_scaling_factor", 0, 1e6, MinInclusive: false);
    /// <summary>0 means no clamp.</summary>
    public static readonly RealRange SwigluLimit = new("swiglu_limit", 0, 1e6, MinInclusive: true);
    public static readonly RealRange RopeTheta = new("rope_theta", 1, 1e12, MinInclusive: true);
    public static readonly RealRange CompressRopeTheta = new("compress_rope_theta", 1, 1e12, MinInclusive: true);
    public static readonly RealRange RopeScalingFactor = new("rope_scaling.factor", 1, 1e6, MinInclusive: true);
    public static readonly RealRange BetaFast = new("rope_scaling.beta_fast", 0, 1e6, MinInclusive: false);
    public static readonly RealRange BetaSlow = new("rope_scaling.beta_slow", 0, 1e6, MinInclusive: false);
}
