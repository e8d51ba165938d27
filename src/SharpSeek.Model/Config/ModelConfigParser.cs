// Parses and validates config.json into ModelConfig. Every rejection names the key and the value.
using System.Text.Json;

namespace SharpSeek.Model.Config;

public sealed class ModelConfigException(string message) : FormatException(message);

public static class ModelConfigParser
{
    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new ModelConfigException($"{source}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelConfigException($"{source}: the top level must be a JSON object");
            var r = new Reader(doc.RootElement, source);
            string modelType = r.Str("model_type", "deepseek_v4");
            if (modelType != "deepseek_v4") throw new ModelConfigException($"{source}: model_type '{modelType}' is not supported (expected 'deepseek_v4')");
            int layers = r.Int("num_hidden_layers");
            int mtp = r.Int("num_nextn_predict_layers", 0);
            string scoring = r.Str("scoring_func", "sqrtsoftplus");
            ScoringFunction score = scoring switch
            {
                "sqrtsoftplus" => ScoringFunction.SqrtSoftplus,
                "sigmoid" => ScoringFunction.Sigmoid,
                "softmax" => ScoringFunction.Softmax,
                _ => throw new ModelConfigException($"{source}: scoring_func '{scoring}' is not supported (sqrtsoftplus, sigmoid or softmax)"),
            };
            string topkMethod = r.Str("topk_method", "noaux_tc");
            if (topkMethod != "noaux_tc") throw new ModelConfigException($"{source}: topk_method '{topkMethod}' is not supported (expected 'noaux_tc')");
            int kvHeads = r.Int("num_key_value_heads", 1);
            if (kvHeads != 1) throw new ModelConfigException($"{source}: num_key_value_heads {kvHeads} is not supported (V4 attention is multi-query: 1)");
            string act = r.Str("hidden_act", "silu");
            if (act != "silu") throw new ModelConfigException($"{source}: hidden_act '{act}' is not supported (expected 'silu')");

            List<int> ratios = r.IntList("compress_ratios");
            if (ratios.Count < layers + mtp)
                throw new ModelConfigException($"{source}: compress_ratios has {ratios.Count} entries, need num_hidden_layers + num_nextn_predict_layers = {layers + mtp}");

            RopeScaling? rope = null;
            if (doc.RootElement.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
            {
                var rr = new Reader(rs, source + ": rope_scaling");
                string type = rr.Str("type", rr.Str("rope_type", "yarn"));
                if (type != "yarn") throw new ModelConfigException($"{source}: rope_scaling.type '{type}' is not supported (expected 'yarn')");
                rope = new RopeScaling(type, rr.Dbl("factor"), rr.Int("original_max_position_embeddings"), rr.Dbl("beta_fast", 32), rr.Dbl("beta_slow", 1));
            }

            bool fp8 = false;
            if (doc.RootElement.TryGetProperty("quantization_config", out var q) && q.ValueKind == JsonValueKind.Object)
            {
                var qr = new Reader(q, source + ": quantization_config");
                string method = qr.Str("quant_method", "fp8");
                if (method != "fp8") throw new ModelConfigException($"{source}: quantization_config.quant_method '{method}' is not supported (expected 'fp8')");
                string fmt = qr.Str("fmt", "e4m3");
                if (fmt != "e4m3") throw new ModelConfigException($"{source}: quantization_config.fmt '{fmt}' is not supported (expected 'e4m3')");
                List<int> block = qr.IntList("weight_block_size", [128, 128]);
                if (block.Count != 2 || block[0] != 128 || block[1] != 128)
                    throw new ModelConfigException($"{source}: quantization_config.weight_block_size [{string.Join(", ", block)}] is not supported (expected [128, 128])");
                fp8 = true;
            }
            string expertDtype = r.Str("expert_dtype", fp8 ? "fp4" : "bf16");
            ExpertFormat experts = expertDtype switch
            {
                "fp4" => ExpertFormat.Fp4,
                "fp8" => ExpertFormat.Fp8,
                "bf16" or "bfloat16" => ExpertFormat.Bf16,
                _ => throw new ModelConfigException($"{source}: expert_dtype '{expertDtype}' is not supported (fp4, fp8 or bf16)"),
            };

            var cfg = new ModelConfig
            {
                ModelType = modelType,
                VocabSize = r.Int("vocab_size"),
                Dim = r.Int("hidden_size"),
                NumLayers = layers,
                NumHeads = r.Int("num_attention_heads"),
                HeadDim = r.Int("head_dim"),
                RopeHeadDim = r.Int("qk_rope_head_dim"),
                QLoraRank = r.Int("q_lora_rank"),
                OLoraRank = r.Int("o_lora_rank"),
                OGroups = r.Int("o_groups"),
                WindowSize = r.Int("sliding_window"),
                IndexHeads = r.Int("index_n_heads"),
                IndexHeadDim = r.Int("index_head_dim"),
                IndexTopK = r.Int("index_topk"),
                NumRoutedExperts = r.Int("n_routed_experts"),
                NumSharedExperts = r.Int("n_shared_experts", 1),
                NumActivatedExperts = r.Int("num_experts_per_tok"),
                MoeInterDim = r.Int("moe_intermediate_size"),
                ScoreFunc = score,
                RouteScale = r.Dbl("routed_scaling_factor", 1.0),
                NumHashLayers = r.Int("num_hash_layers", 0),
                SwigluLimit = r.Dbl("swiglu_limit", 0.0),
                HcMult = r.Int("hc_mult", 4),
                HcSinkhornIters = r.Int("hc_sinkhorn_iters", 20),
                HcEps = r.Dbl("hc_eps", 1e-6),
                NormEps = r.Dbl("rms_norm_eps", 1e-6),
                RopeTheta = r.Dbl("rope_theta", 10000),
                CompressRopeTheta = r.Dbl("compress_rope_theta", 160000),
                RopeScaling = rope,
                MaxPositions = r.Int("max_position_embeddings"),
                NumMtpLayers = mtp,
                CompressRatios = ratios,
                Fp8Weights = fp8,
                ExpertFormat = experts,
                BosTokenId = r.Int("bos_token_id", 0),
                EosTokenId = r.Int("eos_token_id", 1),
            };
            ModelConfigValidator.Validate(cfg, source);
            return cfg;
        }
    }

    private readonly struct Reader(JsonElement e, string source)
    {
        private JsonElement? Get(string key) => e.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        public int Int(string key, int? fallback = null)
        {
            JsonElement? v = Get(key);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{key}'");
            if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt32(out int x))
                throw new ModelConfigException($"{source}: '{key}' must be an integer, got {v.Value.GetRawText()}");
            return x;
        }

        public double Dbl(string key, double? fallback = null)
        {
            JsonElement? v = Get(key);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{key}'");
            if (v.Value.ValueKind != JsonValueKind.Number) throw new ModelConfigException($"{source}: '{key}' must be a number, got {v.Value.GetRawText()}");
            return v.Value.GetDouble();
        }

        public string Str(string key, string? fallback = null)
        {
            JsonElement? v = Get(key);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{key}'");
            if (v.Value.ValueKind != JsonValueKind.String) throw new ModelConfigException($"{source}: '{key}' must be a string, got {v.Value.GetRawText()}");
            return v.Value.GetString()!;
        }

        public List<int> IntList(string key, List<int>? fallback = null)
        {
            JsonElement? v = Get(key);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{key}'");
            if (v.Value.ValueKind != JsonValueKind.Array) throw new ModelConfigException($"{source}: '{key}' must be an array of integers");
            var list = new List<int>();
            foreach (var item in v.Value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int x))
                    throw new ModelConfigException($"{source}: '{key}' must contain integers, got {item.GetRawText()}");
                list.Add(x);
            }
            return list;
        }
    }
}
