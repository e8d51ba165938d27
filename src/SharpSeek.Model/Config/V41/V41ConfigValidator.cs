// Cross-key rules of a V4.1 config whose keys are each in range: the layer roles (KV sources, index
// sources, the candidate source) must describe caches the official forward can build, the widths must
// fit the quantisation blocks, and the Engram / DSpark / vision keys must be consistent.
namespace SharpSeek.Model.Config.V41;

public static class V41ConfigValidator
{
    public static void Validate(V41Config c, string source)
    {
        ModelConfig b = c.Base;
        void Fail(string message) => throw new ModelConfigException($"{source}: {message}");
        int total = b.NumLayers + b.NumMtpLayers;

        // 1. widths against the blocks they are quantised in
        if (b.RopeHeadDim % 2 != 0 || b.RopeHeadDim >= b.HeadDim) Fail($"'rope_head_dim' {b.RopeHeadDim} must be even and smaller than head_dim {b.HeadDim}");
        if (b.HeadDim % V41Config.Fp8Block != 0) Fail($"'head_dim' {b.HeadDim} must be a multiple of 32 (FP8 window KV and FP4 compressed KV blocks)");
        if (b.IndexHeadDim % 32 != 0 || b.IndexHeadDim <= b.RopeHeadDim) Fail($"'index_head_dim' {b.IndexHeadDim} must be a multiple of 32 and larger than rope_head_dim {b.RopeHeadDim}");
        if (b.NumHeads % b.OGroups != 0) Fail($"'n_heads' {b.NumHeads} must be divisible by o_groups {b.OGroups}");
        if (b.NumActivatedExperts > b.NumRoutedExperts) Fail($"'n_activated_experts' {b.NumActivatedExperts} exceeds n_routed_experts {b.NumRoutedExperts}");
        if (b.ExpertFormat == ExpertFormat.Fp4 && (b.Dim % 32 != 0 || b.MoeInterDim % 32 != 0)) Fail("FP4 experts need dim and moe_inter_dim divisible by 32");
        if (b.RopeScaling is { } rs && rs.BetaSlow >= rs.BetaFast) Fail($"'beta_slow' {rs.BetaSlow} must be smaller than beta_fast {rs.BetaFast}");
        if ((long)b.VocabSize * b.Dim > ModelConfigRanges.MaxTensorElements) Fail($"embed [vocab_size {b.VocabSize}, dim {b.Dim}] is larger than one tensor can hold");

        // 2. compress_ratios: one per layer, DSpark stages window-only
        if (b.CompressRatios.Count != total) Fail($"'compress_ratios' has {b.CompressRatios.Count} entries, need n_layers + n_mtp_layers = {total}");
        for (int i = b.NumLayers; i < total; i++)
            if (b.CompressRatios[i] != 0) Fail($"'compress_ratios[{i}]' = {b.CompressRatios[i]}: a draft (mtp) layer is window-only (0)");

        // 3. layer roles
        CheckLayerList("kv_source_layers", c.KvSourceLayers, b.NumLayers, Fail);
        CheckLayerList("index_source_layers", c.IndexSourceLayers, b.NumLayers, Fail);
        foreach (int l in c.KvSourceLayers.Concat(c.IndexSourceLayers))
            if (b.CompressRatios[l] == 0) Fail($"layer {l} is a KV or index source but compress_ratios[{l}] = 0");
        for (int i = 0; i < b.NumLayers; i++)
        {
            int r = b.CompressRatios[i];
            if (r == 0) continue;
            int kv = c.KvSourceLayers.Where(l => l <= i).DefaultIfEmpty(-1).Max();
            int ix = c.IndexSourceLayers.Where(l => l <= i).DefaultIfEmpty(-1).Max();
            if (kv < 0 || b.CompressRatios[kv] != r)
                Fail($"layer {i} (ratio {r}) reads the compressed KV of the latest KV source, which is {(kv < 0 ? "none" : $"layer {kv} with ratio {b.CompressRatios[kv]}")}; list a ratio-{r} layer at or before it in kv_source_layers");
            if (ix < kv)
                Fail($"layer {i} reuses the top-k of index source {(ix < 0 ? "none" : ix.ToString())}, which precedes its KV source {kv}; list a layer from {kv} to {i} in index_source_layers");
            if (!c.IndexSourceLayers.Contains(kv))
                Fail($"KV source layer {kv} must also be in index_source_layers: later indexers read the index keys it produces");
        }
        if (c.Candidates.Enabled)
        {
            int s = c.Candidates.SourceLayer;
            if (!c.IsIndexSource(s)) Fail($"'candidate_source_layer' {s} must be one of index_source_layers");
            if (c.Candidates.TopKBlocks < 1 || c.Candidates.BlockSize < 1)
                Fail($"'candidate_topk_blocks' {c.Candidates.TopKBlocks} and 'candidate_block_size' {c.Candidates.BlockSize} must be at least 1 when candidate_source_layer is set");
            foreach (int l in c.IndexSourceLayers.Where(l => l > s))
                if (b.CompressRatios[l] != b.CompressRatios[s]) Fail($"index source {l} (ratio {b.CompressRatios[l]}) uses the candidates of layer {s} (ratio {b.CompressRatios[s]}); the ratios must match");
        }

        // 4. Engram
        var e = c.Engram;
        CheckLayerList("engram_layer_ids", e.LayerIds, b.NumLayers, Fail);
        if (e.Enabled)
        {
            if (e.NumEmbeddings.Count != e.LayerIds.Count) Fail($"'engram_num_embeddings' has {e.NumEmbeddings.Count} entries for {e.LayerIds.Count} engram_layer_ids");
            if (e.MaxNgramSize < 2) Fail($"'engram_max_ngram_size' {e.MaxNgramSize} must be at least 2 (2-grams and up are hashed)");
            if (e.NumHeads < 1) Fail("'engram_n_heads' must be at least 1");
            if (e.HeadDim < V41Config.Fp8Block || e.HeadDim % V41Config.Fp8Block != 0) Fail($"'engram_head_dim' {e.HeadDim} must be a positive multiple of 32 (FP8 rows with one scale per 32)");
            if (e.VocabSize < 2) Fail($"'engram_vocab_size' {e.VocabSize} must be at least 2");
            if (e.CompressedVocabSize < 1) Fail("'engram_compressed_vocab_size' must be at least 1 (the size of the compressed token map)");
            if (e.PadId >= b.VocabSize) Fail($"'engram_pad_id' {e.PadId} must be below vocab_size {b.VocabSize}");
        }

        // 5. DSpark and vision (parsed for their issues; checked so a bad value is caught here)
        var d = c.DSpark;
        if (d.Enabled)
        {
            if (b.NumMtpLayers < 1) Fail("'dspark_block_size' > 0 needs n_mtp_layers >= 1 (the DSpark stages)");
            if (d.TargetLayerIds.Count == 0) Fail("'dspark_target_layer_ids' must list at least one layer when dspark_block_size > 0");
            foreach (int l in d.TargetLayerIds) if (l >= b.NumLayers) Fail($"'dspark_target_layer_ids' entry {l} is not a layer (n_layers {b.NumLayers})");
            if (d.NoiseTokenId >= b.VocabSize) Fail($"'dspark_noise_token_id' {d.NoiseTokenId} must be below vocab_size {b.VocabSize}");
            int routed = d.NumRoutedExperts == 0 ? b.NumRoutedExperts : d.NumRoutedExperts, active = d.NumActivatedExperts == 0 ? b.NumActivatedExperts : d.NumActivatedExperts;
            if (active > routed) Fail($"'dspark_n_activated_experts' {active} exceeds the draft's routed experts {routed}");
        }
        var v = c.Vision;
        if (v.Enabled)
        {
            if (v.Dim % v.NumHeads != 0) Fail($"'vision_dim' {v.Dim} must be divisible by vision_n_heads {v.NumHeads}");
            if (c.ImageTokenId >= b.VocabSize) Fail($"'image_token_id' {c.ImageTokenId} must be below vocab_size {b.VocabSize}");
        }
    }

    private static void CheckLayerList(string key, IReadOnlyList<int> layers, int n, Action<string> fail)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] >= n) fail($"'{key}[{i}]' = {layers[i]} is not a backbone layer (n_layers {n})");
            if (i > 0 && layers[i] <= layers[i - 1]) fail($"'{key}' must be strictly increasing, got {layers[i - 1]} then {layers[i]}");
        }
    }
}
