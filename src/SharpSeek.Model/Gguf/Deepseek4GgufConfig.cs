// Boundary: llama.cpp's `deepseek4` GGUF metadata <-> the typed ModelConfig. Reading rebuilds the
// config.json keys from the metadata and hands them to ModelConfigParser, so a GGUF config passes
// exactly the ranges and cross-key rules a config.json does; writing emits the keys llama.cpp's
// loader reads (llama_model_deepseek4::load_arch_hparams and the common keys).
using System.Text.Json.Nodes;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Gguf;

public static class Deepseek4GgufConfig
{
    public const string Architecture = "deepseek4";
    private const string A = Architecture + ".";

    /// <summary>llama_expert_gating_func_type ids (llama-hparams.h).</summary>
    private const int GatingSoftmax = 1, GatingSigmoid = 2, GatingSqrtSoftplus = 4;

    // config.json key <- GGUF key, for the integer hyper-parameters.
    private static readonly (string Json, string Gguf)[] s_ints =
    [
        ("vocab_size", A + "vocab_size"),
        ("hidden_size", A + "embedding_length"),
        ("num_hidden_layers", A + "block_count"),
        ("num_attention_heads", A + "attention.head_count"),
        ("head_dim", A + "attention.key_length"),
        ("qk_rope_head_dim", A + "rope.dimension_count"),
        ("q_lora_rank", A + "attention.q_lora_rank"),
        ("o_lora_rank", A + "attention.output_lora_rank"),
        ("o_groups", A + "attention.output_group_count"),
        ("sliding_window", A + "attention.sliding_window"),
        ("index_n_heads", A + "attention.indexer.head_count"),
        ("index_head_dim", A + "attention.indexer.key_length"),
        ("index_topk", A + "attention.indexer.top_k"),
        ("n_routed_experts", A + "expert_count"),
        ("n_shared_experts", A + "expert_shared_count"),
        ("num_experts_per_tok", A + "expert_used_count"),
        ("moe_intermediate_size", A + "expert_feed_forward_length"),
        ("num_hash_layers", A + "hash_layer_count"),
        ("hc_mult", A + "hyper_connection.count"),
        ("hc_sinkhorn_iters", A + "hyper_connection.sinkhorn_iterations"),
        ("max_position_embeddings", A + "context_length"),
    ];

    private static readonly (string Json, string Gguf)[] s_reals =
    [
        ("routed_scaling_factor", A + "expert_weights_scale"),
        ("hc_eps", A + "hyper_connection.epsilon"),
        ("rms_norm_eps", A + "attention.layer_norm_rms_epsilon"),
        ("rope_theta", A + "rope.freq_base"),
        ("compress_rope_theta", A + "attention.compress_rope_freq_base"),
    ];

    /// <summary>
    /// deepseek4.vocab_size, or else the length of tokenizer.ggml.tokens: llama.cpp's converter writes no
    /// vocab_size key and llama.cpp takes the vocabulary size from the token list.
    /// </summary>
    private static long VocabSize(IReadOnlyDictionary<string, GgufValue> meta, string source)
    {
        const string key = A + "vocab_size", tokens = "tokenizer.ggml.tokens";
        if (meta.TryGetValue(key, out GgufValue? v)) return Read(() => v.AsInt64(key), source);
        if (meta.TryGetValue(tokens, out GgufValue? t)) return Read(() => (long)t.AsArray(tokens).Count, source);
        throw new ModelConfigException($"{source}: neither '{key}' nor '{tokens}' is present: the vocabulary size is unknown");
    }

    /// <summary>The ModelConfig a deepseek4 GGUF describes; throws <see cref="ModelConfigException"/> naming the key.</summary>
    public static ModelConfig FromMetadata(IReadOnlyDictionary<string, GgufValue> meta, string path)
    {
        string source = $"{path} (GGUF metadata)";
        string arch = meta.TryGetValue("general.architecture", out GgufValue? a) ? Read(() => a.AsString("general.architecture"), source) : throw Missing("general.architecture", source);
        if (arch != Architecture) throw new ModelConfigException($"{source}: general.architecture is '{arch}', SharpSeek runs '{Architecture}' (DeepSeek V4)");
        var json = new JsonObject { ["model_type"] = "deepseek_v4", ["num_nextn_predict_layers"] = 0 };
        foreach (var (j, g) in s_ints) json[j] = j == "vocab_size" ? VocabSize(meta, source) : Read(() => Need(meta, g, source).AsInt64(g), source);
        foreach (var (j, g) in s_reals) json[j] = Read(() => Need(meta, g, source).AsDouble(g), source);
        // block_count counts the MTP blocks of a file that holds them (llama.cpp's n_layer_all); the main layers are the rest.
        long mtpBlocks = 0;
        if (meta.TryGetValue(A + "nextn_predict_layers", out GgufValue? nextn))
        {
            long n = Read(() => nextn.AsInt64(A + "nextn_predict_layers"), source), all = (long)json["num_hidden_layers"]!;
            if (n < 0 || n >= all) throw new ModelConfigException($"{source}: {A}nextn_predict_layers = {n} must be at least 0 and below {A}block_count = {all}");
            json["num_hidden_layers"] = all - n;
            json["num_nextn_predict_layers"] = mtpBlocks = n;
        }
        int layers = (int)Math.Clamp((long)json["num_hidden_layers"]! + mtpBlocks, 0, 1 << 16);
        long[] ratios = Read(() => Need(meta, A + "attention.compress_ratios", source).AsArray(A + "attention.compress_ratios").Select(v => v.AsInt64(A + "attention.compress_ratios")).ToArray(), source);
        json["compress_ratios"] = new JsonArray(ratios.Take(layers).Select(r => (JsonNode)r).ToArray());
        long gating = Read(() => Need(meta, A + "expert_gating_func", source).AsInt64(A + "expert_gating_func"), source);
        json["scoring_func"] = gating switch
        {
            GatingSqrtSoftplus => "sqrtsoftplus",
            GatingSigmoid => "sigmoid",
            GatingSoftmax => "softmax",
            _ => throw new ModelConfigException($"{source}: {A}expert_gating_func = {gating} is not a scoring function SharpSeek knows (1 softmax, 2 sigmoid, 4 sqrtsoftplus)"),
        };
        if (meta.TryGetValue(A + "swiglu_clamp_exp", out GgufValue? clamp))
            json["swiglu_limit"] = Read(() => clamp.Type == GgufValueType.Array ? clamp.AsArray(A + "swiglu_clamp_exp").Select(v => v.AsDouble(A + "swiglu_clamp_exp")).DefaultIfEmpty(0).Max() : clamp.AsDouble(A + "swiglu_clamp_exp"), source);
        if (meta.TryGetValue(A + "rope.scaling.type", out GgufValue? rt))
        {
            string type = Read(() => rt.AsString(A + "rope.scaling.type"), source);
            if (type is not ("none" or "yarn")) throw new ModelConfigException($"{source}: {A}rope.scaling.type '{type}' is not supported (expected yarn)");
            if (type == "yarn")
                json["rope_scaling"] = new JsonObject
                {
                    ["type"] = "yarn",
                    ["factor"] = Read(() => Need(meta, A + "rope.scaling.factor", source).AsDouble(A + "rope.scaling.factor"), source),
                    ["original_max_position_embeddings"] = Read(() => Need(meta, A + "rope.scaling.original_context_length", source).AsInt64(A + "rope.scaling.original_context_length"), source),
                    ["beta_fast"] = Read(() => meta.TryGetValue(A + "rope.scaling.yarn_beta_fast", out var v) ? v.AsDouble(A + "rope.scaling.yarn_beta_fast") : 32, source),
                    ["beta_slow"] = Read(() => meta.TryGetValue(A + "rope.scaling.yarn_beta_slow", out var v) ? v.AsDouble(A + "rope.scaling.yarn_beta_slow") : 1, source),
                };
        }
        if (meta.TryGetValue("tokenizer.ggml.bos_token_id", out GgufValue? bos)) json["bos_token_id"] = Read(() => bos.AsInt64("tokenizer.ggml.bos_token_id"), source);
        if (meta.TryGetValue("tokenizer.ggml.eos_token_id", out GgufValue? eos)) json["eos_token_id"] = Read(() => eos.AsInt64("tokenizer.ggml.eos_token_id"), source);
        return ModelConfigParser.Parse(json.ToJsonString(), source);
    }

    /// <summary>
    /// The deepseek4 metadata of <paramref name="c"/>: of the main model's file (<paramref name="mtpBlocks"/> 0), or of the
    /// separate MTP file, whose block_count counts its <paramref name="mtpBlocks"/> blocks too (llama.cpp's layout).
    /// </summary>
    public static List<KeyValuePair<string, GgufValue>> ToMetadata(ModelConfig c, int mtpBlocks = 0)
    {
        int blocks = c.NumLayers + mtpBlocks;
        var m = new List<KeyValuePair<string, GgufValue>>();
        void Add(string key, GgufValue v) => m.Add(new(key, v));
        Add("general.architecture", GgufValue.Of(Architecture));
        Add(A + "vocab_size", GgufValue.Of((uint)c.VocabSize));
        Add(A + "context_length", GgufValue.Of((uint)c.MaxPositions));
        Add(A + "embedding_length", GgufValue.Of((uint)c.Dim));
        Add(A + "block_count", GgufValue.Of((uint)blocks));
        if (mtpBlocks > 0) Add(A + "nextn_predict_layers", GgufValue.Of((uint)mtpBlocks));
        Add(A + "attention.head_count", GgufValue.Of((uint)c.NumHeads));
        Add(A + "attention.head_count_kv", GgufValue.Of(1u));
        Add(A + "attention.key_length", GgufValue.Of((uint)c.HeadDim));
        Add(A + "attention.value_length", GgufValue.Of((uint)c.HeadDim));
        Add(A + "rope.dimension_count", GgufValue.Of((uint)c.RopeHeadDim));
        Add(A + "rope.freq_base", GgufValue.Of((float)c.RopeTheta));
        Add(A + "attention.layer_norm_rms_epsilon", GgufValue.Of((float)c.NormEps));
        Add(A + "attention.q_lora_rank", GgufValue.Of((uint)c.QLoraRank));
        Add(A + "attention.output_lora_rank", GgufValue.Of((uint)c.OLoraRank));
        Add(A + "attention.output_group_count", GgufValue.Of((uint)c.OGroups));
        Add(A + "attention.sliding_window", GgufValue.Of((uint)c.WindowSize));
        Add(A + "attention.compress_ratios", GgufValue.Array(GgufValueType.UInt32, c.CompressRatios.Take(blocks).Select(r => GgufValue.Of((uint)r))));
        Add(A + "attention.compress_rope_freq_base", GgufValue.Of((float)c.CompressRopeTheta));
        Add(A + "attention.indexer.head_count", GgufValue.Of((uint)c.IndexHeads));
        Add(A + "attention.indexer.key_length", GgufValue.Of((uint)c.IndexHeadDim));
        Add(A + "attention.indexer.top_k", GgufValue.Of((uint)c.IndexTopK));
        Add(A + "expert_count", GgufValue.Of((uint)c.NumRoutedExperts));
        Add(A + "expert_used_count", GgufValue.Of((uint)c.NumActivatedExperts));
        Add(A + "expert_shared_count", GgufValue.Of((uint)c.NumSharedExperts));
        Add(A + "expert_feed_forward_length", GgufValue.Of((uint)c.MoeInterDim));
        Add(A + "expert_weights_scale", GgufValue.Of((float)c.RouteScale));
        Add(A + "expert_weights_norm", GgufValue.Of(true));
        Add(A + "expert_gating_func", GgufValue.Of((uint)(c.ScoreFunc switch
        {
            ScoringFunction.SqrtSoftplus => GatingSqrtSoftplus,
            ScoringFunction.Sigmoid => GatingSigmoid,
            _ => GatingSoftmax,
        })));
        Add(A + "hash_layer_count", GgufValue.Of((uint)c.NumHashLayers));
        if (c.SwigluLimit > 0) Add(A + "swiglu_clamp_exp", GgufValue.Array(GgufValueType.Float32, Enumerable.Repeat(GgufValue.Of((float)c.SwigluLimit), blocks)));
        Add(A + "hyper_connection.count", GgufValue.Of((uint)c.HcMult));
        Add(A + "hyper_connection.sinkhorn_iterations", GgufValue.Of((uint)c.HcSinkhornIters));
        Add(A + "hyper_connection.epsilon", GgufValue.Of((float)c.HcEps));
        if (c.RopeScaling is { } rs)
        {
            Add(A + "rope.scaling.type", GgufValue.Of(rs.Type));
            Add(A + "rope.scaling.factor", GgufValue.Of((float)rs.Factor));
            Add(A + "rope.scaling.original_context_length", GgufValue.Of((uint)rs.OriginalMaxPositions));
            Add(A + "rope.scaling.yarn_beta_fast", GgufValue.Of((float)rs.BetaFast));
            Add(A + "rope.scaling.yarn_beta_slow", GgufValue.Of((float)rs.BetaSlow));
        }
        return m;
    }

    private static GgufValue Need(IReadOnlyDictionary<string, GgufValue> meta, string key, string source) =>
        meta.TryGetValue(key, out GgufValue? v) ? v : throw Missing(key, source);

    private static ModelConfigException Missing(string key, string source) => new($"{source}: metadata '{key}' is missing (a deepseek4 GGUF needs it)");

    // Type errors from the metadata accessors become config errors naming the file.
    private static T Read<T>(Func<T> read, string source)
    {
        try { return read(); }
        catch (InvalidDataException e) { throw new ModelConfigException($"{source}: {e.Message}"); }
    }
}
