// Every V4.1 config key, written once: its official ModelArgs name (inference/config.json and the
// golden config's reference_model_args), its Hugging Face name (a dotted path into the top-level
// config.json; null where the HF form has none) and its valid range. V41ConfigParser reads either form
// through this table and rejects a key whose two forms disagree.
namespace SharpSeek.Model.Config.V41;

public enum V41KeyKind { Int, Real, IntList, String, Bool, OptionalInt }

public sealed record V41Key(string Arg, string? Hf, V41KeyKind Kind, double Min, double Max, bool Required = true)
{
    public override string ToString() => Kind == V41KeyKind.Real ? $"[{Min:R}, {Max:R}]" : $"[{(long)Min}, {(long)Max}]";
}

public static class V41ConfigKeys
{
    private const long Big = 1L << 24;
    private static V41Key I(string arg, string? hf, long min, long max, bool required = true) => new(arg, hf, V41KeyKind.Int, min, max, required);
    private static V41Key D(string arg, string? hf, double min, double max, bool required = true) => new(arg, hf, V41KeyKind.Real, min, max, required);
    private static V41Key L(string arg, string? hf, long min, long max, bool required = true) => new(arg, hf, V41KeyKind.IntList, min, max, required);

    public static readonly V41Key MaxSeqLen = I("max_seq_len", "max_position_embeddings", 1, Big);
    public static readonly V41Key VocabSize = I("vocab_size", "vocab_size", 1, Big);
    public static readonly V41Key Dim = I("dim", "hidden_size", 1, 1 << 16);
    public static readonly V41Key MoeInterDim = I("moe_inter_dim", "moe_intermediate_size", 1, 1 << 17);
    public static readonly V41Key NLayers = I("n_layers", "num_hidden_layers", 1, 1024);
    public static readonly V41Key NMtpLayers = I("n_mtp_layers", "num_nextn_predict_layers", 0, 16, false);
    public static readonly V41Key NHeads = I("n_heads", "num_attention_heads", 1, 1024);
    public static readonly V41Key NRoutedExperts = I("n_routed_experts", "n_routed_experts", 1, 1 << 16);
    public static readonly V41Key NSharedExperts = I("n_shared_experts", "n_shared_experts", 1, 1, false);
    public static readonly V41Key NActivatedExperts = I("n_activated_experts", "num_experts_per_tok", 1, 1024);
    public static readonly V41Key GateTemp = D("gate_temp", "gate_temp", 1e-6, 1e6, false);
    public static readonly V41Key RouteScale = D("route_scale", "routed_scaling_factor", 1e-12, 1e6, false);
    public static readonly V41Key SwigluLimit = D("swiglu_limit", "swiglu_limit", 0, 1e6, false);
    public static readonly V41Key QLoraRank = I("q_lora_rank", "q_lora_rank", 1, 1 << 16);
    public static readonly V41Key HeadDim = I("head_dim", "head_dim", 2, 8192);
    public static readonly V41Key RopeHeadDim = I("rope_head_dim", "qk_rope_head_dim", 2, 8192);
    public static readonly V41Key NormEps = D("norm_eps", "rms_norm_eps", 1e-300, 1, false);
    public static readonly V41Key OGroups = I("o_groups", "o_groups", 1, 1024);
    public static readonly V41Key OLoraRank = I("o_lora_rank", "o_lora_rank", 1, 1 << 16);
    public static readonly V41Key WindowSize = I("window_size", "sliding_window", 1, 1 << 16);
    public static readonly V41Key CompressRatios = L("compress_ratios", "compress_ratios", 0, 1 << 16);
    public static readonly V41Key KvSourceLayers = L("kv_source_layers", "kv_source_layer_ids", 0, 1023, false);
    public static readonly V41Key IndexSourceLayers = L("index_source_layers", "index_source_layer_ids", 0, 1023, false);
    public static readonly V41Key CompressRopeTheta = D("compress_rope_theta", "compress_rope_theta", 1, 1e12, false);
    public static readonly V41Key OriginalSeqLen = I("original_seq_len", "rope_scaling.original_max_position_embeddings", 0, Big, false);
    public static readonly V41Key RopeTheta = D("rope_theta", "rope_theta", 1, 1e12, false);
    public static readonly V41Key RopeFactor = D("rope_factor", "rope_scaling.factor", 1, 1e6, false);
    public static readonly V41Key BetaFast = D("beta_fast", "rope_scaling.beta_fast", 1e-9, 1e6, false);
    public static readonly V41Key BetaSlow = D("beta_slow", "rope_scaling.beta_slow", 1e-9, 1e6, false);
    public static readonly V41Key IndexNHeads = I("index_n_heads", "index_n_heads", 1, 1024);
    public static readonly V41Key IndexHeadDim = I("index_head_dim", "index_head_dim", 32, 8192);
    public static readonly V41Key IndexTopK = I("index_topk", "index_topk", 1, 1 << 16);
    public static readonly V41Key CandidateSourceLayer = I("candidate_source_layer", "candidate_source_layer", -1, 1023, false);
    public static readonly V41Key CandidateTopKBlocks = I("candidate_topk_blocks", "candidate_topk_blocks", 0, 1 << 20, false);
    public static readonly V41Key CandidateBlockSize = I("candidate_block_size", "candidate_block_size", 0, 1 << 20, false);
    public static readonly V41Key HcMult = I("hc_mult", "hc_mult", 1, 64, false);
    public static readonly V41Key HcSinkhornIters = I("hc_sinkhorn_iters", "hc_sinkhorn_iters", 1, 1000, false);
    public static readonly V41Key HcEps = D("hc_eps", "hc_eps", 1e-300, 1, false);
    public static readonly V41Key EngramLayerIds = L("engram_layer_ids", "engram_layer_ids", 0, 1023, false);
    public static readonly V41Key EngramNumEmbeddings = L("engram_num_embeddings", "engram_num_embeddings", 1, 1L << 40, false);
    public static readonly V41Key EngramMaxNgramSize = I("engram_max_ngram_size", "engram_max_ngram_size", 1, 16, false);
    public static readonly V41Key EngramVocabSize = I("engram_vocab_size", "engram_vocab_size", 0, 1L << 32, false);
    public static readonly V41Key EngramNHeads = I("engram_n_heads", "engram_n_heads", 0, 1024, false);
    public static readonly V41Key EngramHeadDim = I("engram_head_dim", "engram_head_dim", 0, 8192, false);
    public static readonly V41Key EngramPadId = I("engram_pad_id", "engram_pad_token_id", 0, Big, false);
    public static readonly V41Key EngramCompressedVocabSize = I("engram_compressed_vocab_size", "engram_compressed_vocab_size", 0, Big, false);
    public static readonly V41Key VisionNLayers = I("vision_n_layers", "vision_config.num_hidden_layers", 0, 1024, false);
    public static readonly V41Key VisionDim = I("vision_dim", "vision_config.hidden_size", 1, 1 << 16, false);
    public static readonly V41Key VisionNHeads = I("vision_n_heads", "vision_config.num_attention_heads", 1, 1024, false);
    public static readonly V41Key VisionInterDim = I("vision_inter_dim", "vision_config.intermediate_size", 1, 1 << 17, false);
    public static readonly V41Key VisionPatchSize = I("vision_patch_size", "vision_config.patch_size", 1, 1024, false);
    public static readonly V41Key VisionRopeTheta = D("vision_rope_theta", "vision_config.rope_theta", 1, 1e12, false);
    public static readonly V41Key VisionDownsampleRatio = I("vision_downsample_ratio", "vision_config.downsample_ratio", 1, 64, false);
    public static readonly V41Key VisionMaxNToken = I("vision_max_n_token", "vision_config.max_n_token", 1, 1 << 20, false);
    public static readonly V41Key VisionMinPixels = I("vision_min_pixels", "vision_config.min_pixels", 1, 1L << 40, false);
    public static readonly V41Key VisionMaxWhRatio = new("vision_max_wh_ratio", "vision_config.max_wh_ratio", V41KeyKind.OptionalInt, 1, 1 << 20, false);
    public static readonly V41Key ImageTokenId = I("image_token_id", "image_token_id", 0, Big, false);
    public static readonly V41Key DSparkBlockSize = I("dspark_block_size", "dspark_block_size", 0, 256, false);
    public static readonly V41Key DSparkNoiseTokenId = I("dspark_noise_token_id", "dspark_noise_token_id", 0, Big, false);
    public static readonly V41Key DSparkTargetLayerIds = L("dspark_target_layer_ids", "dspark_target_layer_ids", 0, 1023, false);
    public static readonly V41Key DSparkMarkovRank = I("dspark_markov_rank", "dspark_markov_rank", 1, 1 << 16, false);
    public static readonly V41Key DSparkNRoutedExperts = I("dspark_n_routed_experts", "dspark_n_routed_experts", 0, 1 << 16, false);
    public static readonly V41Key DSparkNActivatedExperts = I("dspark_n_activated_experts", "dspark_num_experts_per_tok", 0, 1024, false);
    public static readonly V41Key ScoreFunc = new("score_func", "scoring_func", V41KeyKind.String, 0, 0, false);
    public static readonly V41Key Dtype = new("dtype", null, V41KeyKind.String, 0, 0, false);
    public static readonly V41Key ExpertDtype = new("expert_dtype", "expert_dtype", V41KeyKind.String, 0, 0, false);
    public static readonly V41Key NormTopkProb = new("norm_topk_prob", "norm_topk_prob", V41KeyKind.Bool, 0, 0, false);
    // Runtime limits of the reference, not model shape: accepted in range, not used.
    public static readonly V41Key MaxBatchSize = I("max_batch_size", null, 1, 1 << 20, false);
    public static readonly V41Key Temperature = D("temperature", null, 0, 1e6, false);

    /// <summary>Every key, in ModelArgs order: the reference_model_args form accepts exactly these.</summary>
    public static readonly IReadOnlyList<V41Key> All =
    [
        MaxBatchSize, MaxSeqLen, Temperature, Dtype, ExpertDtype, VocabSize, Dim, MoeInterDim, NLayers, NMtpLayers, NHeads,
        NRoutedExperts, NSharedExperts, NActivatedExperts, ScoreFunc, GateTemp, NormTopkProb, RouteScale, SwigluLimit,
        QLoraRank, HeadDim, RopeHeadDim, NormEps, OGroups, OLoraRank, WindowSize, CompressRatios, KvSourceLayers, IndexSourceLayers,
        CompressRopeTheta, OriginalSeqLen, RopeTheta, RopeFactor, BetaFast, BetaSlow, IndexNHeads, IndexHeadDim, IndexTopK,
        CandidateSourceLayer, CandidateTopKBlocks, CandidateBlockSize, HcMult, HcSinkhornIters, HcEps,
        EngramLayerIds, EngramNumEmbeddings, EngramMaxNgramSize, EngramVocabSize, EngramNHeads, EngramHeadDim, EngramPadId, EngramCompressedVocabSize,
        VisionNLayers, VisionDim, VisionNHeads, VisionInterDim, VisionPatchSize, VisionRopeTheta, VisionDownsampleRatio, VisionMaxNToken,
        VisionMinPixels, VisionMaxWhRatio, ImageTokenId,
        DSparkBlockSize, DSparkNoiseTokenId, DSparkTargetLayerIds, DSparkMarkovRank, DSparkNRoutedExperts, DSparkNActivatedExperts,
    ];
}
