// Cross-key checks of a ModelConfig whose keys are each already inside their ranges
// (ModelConfigRanges): the geometry must be one the V4 architecture can run, and every tensor and
// per-token activation row it implies must be addressable, so that nothing overflows or fails to
// allocate later. Sizes are computed in 64 bits (the ranges keep every product below 2^63).
namespace SharpSeek.Model.Config;

public static class ModelConfigValidator
{
    public static void Validate(ModelConfig c, string source)
    {
        if (c.RopeHeadDim % 2 != 0 || c.RopeHeadDim >= c.HeadDim)
            throw new ModelConfigException($"{source}: 'qk_rope_head_dim' {c.RopeHeadDim} must be even and smaller than head_dim {c.HeadDim}");
        if (c.NopeHeadDim % 64 != 0)
            throw new ModelConfigException($"{source}: head_dim - qk_rope_head_dim = {c.NopeHeadDim} must be a multiple of 64 (FP8 KV blocks)");
        if (c.NumHeads % c.OGroups != 0)
            throw new ModelConfigException($"{source}: num_attention_heads {c.NumHeads} must be divisible by o_groups {c.OGroups}");
        if (c.NumActivatedExperts > c.NumRoutedExperts)
            throw new ModelConfigException($"{source}: num_experts_per_tok {c.NumActivatedExperts} exceeds n_routed_experts {c.NumRoutedExperts}");
        if (c.NumHashLayers > c.NumLayers)
            throw new ModelConfigException($"{source}: num_hash_layers {c.NumHashLayers} must be between 0 and num_hidden_layers {c.NumLayers}");
        if (c.BosTokenId >= c.VocabSize || c.EosTokenId >= c.VocabSize)
            throw new ModelConfigException($"{source}: bos_token_id {c.BosTokenId} and eos_token_id {c.EosTokenId} must be below vocab_size {c.VocabSize}");
        if (c.RopeScaling is { } rs && rs.BetaSlow >= rs.BetaFast)
            throw new ModelConfigException($"{source}: rope_scaling.beta_slow {rs.BetaSlow} must be smaller than beta_fast {rs.BetaFast}");
        for (int i = 0; i < c.NumLayers + c.NumMtpLayers; i++)
        {
            int r = c.CompressRatios[i];
            if (ModelConfig.KindOfRatio(r) == AttentionKind.Indexed)
            {
                if ((c.IndexHeadDim & (c.IndexHeadDim - 1)) != 0 || c.IndexHeadDim % 32 != 0 || c.IndexHeadDim <= c.RopeHeadDim)
                    throw new ModelConfigException($"{source}: index_head_dim {c.IndexHeadDim} must be a power of two, a multiple of 32 and larger than qk_rope_head_dim");
            }
        }
        for (int i = c.NumLayers; i < c.NumLayers + c.NumMtpLayers; i++)
            if (c.CompressRatios[i] != 0) throw new ModelConfigException($"{source}: compress_ratios[{i}] (MTP block) = {c.CompressRatios[i]}; the MTP block is window-only (0)");
        if (c.ExpertFormat == ExpertFormat.Fp4 && (c.Dim % 32 != 0 || c.MoeInterDim % 32 != 0))
            throw new ModelConfigException($"{source}: FP4 experts need hidden_size and moe_intermediate_size divisible by 32");
        CheckSizes(c, source);
    }

    /// <summary>
    /// Every element of the largest tensors and per-sequence memory rows must be addressable by one
    /// int-indexed span or array (the float copy training and init-random hold, the mapped view of a
    /// checkpoint); a config whose tensors cannot exist is refused here, with the number.
    /// </summary>
    private static void CheckSizes(ModelConfig c, string source)
    {
        long d = c.Dim, heads = c.NumHeads, hd = c.HeadDim, hc = c.HcMult;
        void Tensor(string what, long rows, long cols)
        {
            long elements = rows * cols;
            if (elements > ModelConfigRanges.MaxTensorElements)
                throw new ModelConfigException(
                    $"{source}: {what} [{rows}, {cols}] would have {elements:N0} elements, more than one tensor can hold ({ModelConfigRanges.MaxTensorElements:N0}); reduce the keys that size it");
        }
        Tensor("embed/head (vocab_size x hidden_size)", c.VocabSize, d);
        Tensor("wq_a (q_lora_rank x hidden_size)", c.QLoraRank, d);
        Tensor("mtp e_proj/h_proj (hidden_size x hidden_size)", d, d);
        Tensor("wq_b (num_attention_heads*head_dim x q_lora_rank)", heads * hd, c.QLoraRank);
        Tensor("wkv (head_dim x hidden_size)", hd, d);
        Tensor("wo_a (o_groups*o_lora_rank x num_attention_heads*head_dim/o_groups)", c.OGroups * (long)c.OLoraRank, heads * hd / c.OGroups);
        Tensor("wo_b (hidden_size x o_groups*o_lora_rank)", d, c.OGroups * (long)c.OLoraRank);
        Tensor("expert w1/w3 (moe_intermediate_size x hidden_size)", c.MoeInterDim, d);
        Tensor("gate (n_routed_experts x hidden_size)", c.NumRoutedExperts, d);
        Tensor("hash table tid2eid (vocab_size x num_experts_per_tok)", c.VocabSize, c.NumActivatedExperts);
        Tensor("hc_fn ((2+hc_mult)*hc_mult x hc_mult*hidden_size)", c.MixHc, hc * d);
        Tensor("indexer wq_b (index_n_heads*index_head_dim x q_lora_rank)", c.IndexHeads * (long)c.IndexHeadDim, c.QLoraRank);
        // Per-sequence memory rows: the window, and the compressed entries at full context.
        Tensor("sliding window KV (sliding_window x head_dim)", c.WindowSize, hd);
        int minRatio = c.CompressRatios.Take(c.NumLayers).Where(r => r > 0).DefaultIfEmpty(0).Min();
        if (minRatio > 0) Tensor("compressed KV at max_position_embeddings (max_position_embeddings/ratio x head_dim)", c.MaxPositions / minRatio, hd);
    }
}
