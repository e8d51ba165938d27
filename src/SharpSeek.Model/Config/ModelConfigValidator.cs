// Cross-field checks of a ModelConfig: the geometry must be one the V4 architecture can run.
namespace SharpSeek.Model.Config;

public static class ModelConfigValidator
{
    public static void Validate(ModelConfig c, string source)
    {
        void Positive(string key, int v) { if (v <= 0) throw new ModelConfigException($"{source}: '{key}' must be positive, got {v}"); }
        Positive("vocab_size", c.VocabSize);
        Positive("hidden_size", c.Dim);
        Positive("num_hidden_layers", c.NumLayers);
        Positive("num_attention_heads", c.NumHeads);
        Positive("head_dim", c.HeadDim);
        Positive("q_lora_rank", c.QLoraRank);
        Positive("o_lora_rank", c.OLoraRank);
        Positive("o_groups", c.OGroups);
        Positive("sliding_window", c.WindowSize);
        Positive("n_routed_experts", c.NumRoutedExperts);
        Positive("num_experts_per_tok", c.NumActivatedExperts);
        Positive("moe_intermediate_size", c.MoeInterDim);
        Positive("hc_mult", c.HcMult);
        Positive("hc_sinkhorn_iters", c.HcSinkhornIters);
        Positive("max_position_embeddings", c.MaxPositions);
        if (c.NumMtpLayers < 0) throw new ModelConfigException($"{source}: 'num_nextn_predict_layers' must be >= 0, got {c.NumMtpLayers}");
        if (c.RopeHeadDim <= 0 || c.RopeHeadDim % 2 != 0 || c.RopeHeadDim >= c.HeadDim)
            throw new ModelConfigException($"{source}: 'qk_rope_head_dim' {c.RopeHeadDim} must be even and smaller than head_dim {c.HeadDim}");
        if (c.NopeHeadDim % 64 != 0)
            throw new ModelConfigException($"{source}: head_dim - qk_rope_head_dim = {c.NopeHeadDim} must be a multiple of 64 (FP8 KV blocks)");
        if (c.NumHeads % c.OGroups != 0)
            throw new ModelConfigException($"{source}: num_attention_heads {c.NumHeads} must be divisible by o_groups {c.OGroups}");
        if (c.NumActivatedExperts > c.NumRoutedExperts)
            throw new ModelConfigException($"{source}: num_experts_per_tok {c.NumActivatedExperts} exceeds n_routed_experts {c.NumRoutedExperts}");
        if (c.NumSharedExperts != 1) throw new ModelConfigException($"{source}: n_shared_experts {c.NumSharedExperts} is not supported (V4 has exactly 1)");
        if (c.NumHashLayers < 0 || c.NumHashLayers > c.NumLayers)
            throw new ModelConfigException($"{source}: num_hash_layers {c.NumHashLayers} must be between 0 and num_hidden_layers {c.NumLayers}");
        for (int i = 0; i < c.NumLayers + c.NumMtpLayers; i++)
        {
            int r = c.CompressRatios[i];
            if (r < 0) throw new ModelConfigException($"{source}: compress_ratios[{i}] = {r} must be >= 0");
            if (ModelConfig.KindOfRatio(r) == AttentionKind.Indexed)
            {
                if (c.IndexHeadDim <= 0 || (c.IndexHeadDim & (c.IndexHeadDim - 1)) != 0 || c.IndexHeadDim % 32 != 0 || c.IndexHeadDim <= c.RopeHeadDim)
                    throw new ModelConfigException($"{source}: index_head_dim {c.IndexHeadDim} must be a power of two, a multiple of 32 and larger than qk_rope_head_dim");
                Positive("index_n_heads", c.IndexHeads);
                Positive("index_topk", c.IndexTopK);
            }
        }
        for (int i = c.NumLayers; i < c.NumLayers + c.NumMtpLayers; i++)
            if (c.CompressRatios[i] != 0) throw new ModelConfigException($"{source}: compress_ratios[{i}] (MTP block) = {c.CompressRatios[i]}; the MTP block is window-only (0)");
        if (c.ExpertFormat == ExpertFormat.Fp4 && (c.Dim % 32 != 0 || c.MoeInterDim % 32 != 0))
            throw new ModelConfigException($"{source}: FP4 experts need hidden_size and moe_intermediate_size divisible by 32");
    }
}
