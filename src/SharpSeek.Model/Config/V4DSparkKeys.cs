// The DSpark draft head of a V4 checkpoint (V4-Flash-0731 is a V4 model with a DSpark head instead of
// MTP): read from config.json under the Hugging Face names the V4.1 key table gives them
// (dspark_block_size, dspark_noise_token_id, dspark_target_layer_ids, dspark_markov_rank,
// dspark_n_routed_experts, dspark_num_experts_per_tok). Where the stages live:
//   0731 layout: num_nextn_predict_layers stages stored as mtp.<i> (no MTP block);
//   beside MTP:  `dspark_num_stages` (a SharpSeek key) stages stored as dspark.<i>, the MTP block kept
//                (sharpseek-nano ships both heads).
using System.Text.Json;
using SharpSeek.Model.Config.V41;
using K = SharpSeek.Model.Config.V41.V41ConfigKeys;

namespace SharpSeek.Model.Config;

/// <summary>Where and how many DSpark stages a V4 checkpoint holds.</summary>
public sealed record V4DSpark(DSparkConfig Head, int Stages, string Prefix)
{
    public const string MtpPrefix = "mtp", OwnPrefix = "dspark", StagesKey = "dspark_num_stages";
    /// <summary>True when the stages take the MTP block's place (0731 layout).</summary>
    public bool ReplacesMtp => Prefix == MtpPrefix;
}

public static class V4DSparkKeys
{
    /// <summary>The DSpark head of a V4 config.json, or null when dspark_block_size is absent or 0.</summary>
    public static V4DSpark? Read(JsonElement root, string source, int layers, int mtp, int vocab, int routed, int active)
    {
        int block = Int(root, K.DSparkBlockSize, 0, source);
        if (block == 0) return null;
        int noise = Int(root, K.DSparkNoiseTokenId, 0, source);
        int rank = Int(root, K.DSparkMarkovRank, 256, source);
        int draftRouted = Int(root, K.DSparkNRoutedExperts, 0, source), draftActive = Int(root, K.DSparkNActivatedExperts, 0, source);
        var targets = new List<int>();
        if (root.TryGetProperty(K.DSparkTargetLayerIds.Hf!, out JsonElement t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Array) throw Fail(source, $"'{K.DSparkTargetLayerIds.Hf}' must be an array of layer ids");
            foreach (JsonElement x in t.EnumerateArray())
            {
                if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out int l) || l < 0 || l >= layers)
                    throw Fail(source, $"'{K.DSparkTargetLayerIds.Hf}' entry {x.GetRawText()} is not a layer id in [0, {layers})");
                if (targets.Count > 0 && l <= targets[^1]) throw Fail(source, $"'{K.DSparkTargetLayerIds.Hf}' must be strictly increasing");
                targets.Add(l);
            }
        }
        if (targets.Count == 0) throw Fail(source, $"'{K.DSparkTargetLayerIds.Hf}' must list at least one layer when dspark_block_size > 0");
        if (noise >= vocab) throw Fail(source, $"'{K.DSparkNoiseTokenId.Hf}' {noise} must be below vocab_size {vocab}");
        int r = draftRouted == 0 ? routed : draftRouted, a = draftActive == 0 ? active : draftActive;
        if (a > r) throw Fail(source, $"'{K.DSparkNActivatedExperts.Hf}' {a} exceeds the draft's routed experts {r}");
        bool beside = root.TryGetProperty(V4DSpark.StagesKey, out JsonElement s) && s.ValueKind != JsonValueKind.Null;
        int stages = beside ? Int(root, new V41Key(V4DSpark.StagesKey, V4DSpark.StagesKey, V41KeyKind.Int, 1, 16), 0, source) : mtp;
        if (stages < 1) throw Fail(source, $"dspark_block_size > 0 needs DSpark stages: num_nextn_predict_layers >= 1 (0731 layout) or '{V4DSpark.StagesKey}' >= 1");
        return new V4DSpark(new DSparkConfig(block, noise, targets, rank, draftRouted, draftActive), stages, beside ? V4DSpark.OwnPrefix : V4DSpark.MtpPrefix);
    }

    private static int Int(JsonElement root, V41Key key, int fallback, string source)
    {
        if (!root.TryGetProperty(key.Hf!, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < key.Min || x > key.Max)
            throw Fail(source, $"'{key.Hf}' must be an integer in {key}, got {v.GetRawText()}");
        return (int)x;
    }

    private static ModelConfigException Fail(string source, string what) => new($"{source}: {what}");
}
