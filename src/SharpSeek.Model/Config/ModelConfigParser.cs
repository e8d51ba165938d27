// Parses and validates config.json into ModelConfig. Every value is checked against its range in
// ModelConfigRanges as it is read; every rejection names the key, the value and the valid range.
using System.Text.Json;
using R = SharpSeek.Model.Config.ModelConfigRanges;

namespace SharpSeek.Model.Config;

/// <summary>A config.json refused: one line naming the file, the key, the value and the valid range.</summary>
public sealed class ModelConfigException(string message) : FormatException(message.ReplaceLineEndings(" "));

public static class ModelConfigParser
{
    /// <summary>A config.json is a few kilobytes; anything past this is not one (and /dev/zero never ends).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Reads a config file of at most MaxFileBytes as UTF-8.</summary>
    public static string ReadFile(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[MaxFileBytes + 1];
        int n = 0, read;
        while (n < buffer.Length && (read = f.Read(buffer, n, buffer.Length - n)) > 0) n += read;
        if (n > MaxFileBytes) throw new ModelConfigException($"{path}: larger than {MaxFileBytes:N0} bytes; not a config.json");
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new ModelConfigException($"{source}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            try { return Read(doc, source); }
            catch (InvalidOperationException) { throw new ModelConfigException($"{source}: a string is not valid Unicode (a lone surrogate escape)"); }
        }
    }

    private static ModelConfig Read(JsonDocument doc, string source)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelConfigException($"{source}: the top level must be a JSON object");
        var r = new Reader(doc.RootElement, source);
        string modelType = r.Str("model_type", "deepseek_v4");
        if (modelType != "deepseek_v4") throw new ModelConfigException($"{source}: model_type '{modelType}' is not supported (expected 'deepseek_v4')");
        int layers = r.Int(R.NumHiddenLayers);
        int mtp = r.Int(R.NumNextnPredictLayers, 0);
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
        r.Int(R.NumKeyValueHeads, 1); // V4 attention is multi-query: the range [1, 1] is the whole rule
        string act = r.Str("hidden_act", "silu");
        if (act != "silu") throw new ModelConfigException($"{source}: hidden_act '{act}' is not supported (expected 'silu')");

        List<int> ratios = r.IntList("compress_ratios", R.CompressRatio, (int)(R.NumHiddenLayers.Max + R.NumNextnPredictLayers.Max));
        if (ratios.Count < layers + mtp)
            throw new ModelConfigException($"{source}: compress_ratios has {ratios.Count} entries, need num_hidden_layers + num_nextn_predict_layers = {layers + mtp}");

        RopeScaling? rope = null;
        if (doc.RootElement.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
        {
            var rr = new Reader(rs, source);
            string type = rr.Str("type", rr.Str("rope_type", "yarn"));
            if (type != "yarn") throw new ModelConfigException($"{source}: rope_scaling.type '{type}' is not supported (expected 'yarn')");
            rope = new RopeScaling(type, rr.Dbl(R.RopeScalingFactor), rr.Int(R.OriginalMaxPositionEmbeddings), rr.Dbl(R.BetaFast, 32), rr.Dbl(R.BetaSlow, 1));
        }

        bool fp8 = false;
        if (doc.RootElement.TryGetProperty("quantization_config", out var q) && q.ValueKind == JsonValueKind.Object)
        {
            var qr = new Reader(q, source + ": quantization_config");
            string method = qr.Str("quant_method", "fp8");
            if (method != "fp8") throw new ModelConfigException($"{source}: quantization_config.quant_method '{method}' is not supported (expected 'fp8')");
            string fmt = qr.Str("fmt", "e4m3");
            if (fmt != "e4m3") throw new ModelConfigException($"{source}: quantization_config.fmt '{fmt}' is not supported (expected 'e4m3')");
            List<int> block = qr.IntList("weight_block_size", new IntRange("weight_block_size[i]", 1, 1 << 16), 8, [128, 128]);
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
            VocabSize = r.Int(R.VocabSize),
            Dim = r.Int(R.HiddenSize),
            NumLayers = layers,
            NumHeads = r.Int(R.NumAttentionHeads),
            HeadDim = r.Int(R.HeadDim),
            RopeHeadDim = r.Int(R.QkRopeHeadDim),
            QLoraRank = r.Int(R.QLoraRank),
            OLoraRank = r.Int(R.OLoraRank),
            OGroups = r.Int(R.OGroups),
            WindowSize = r.Int(R.SlidingWindow),
            IndexHeads = r.Int(R.IndexNHeads),
            IndexHeadDim = r.Int(R.IndexHeadDim),
            IndexTopK = r.Int(R.IndexTopK),
            NumRoutedExperts = r.Int(R.NRoutedExperts),
            NumSharedExperts = r.Int(R.NSharedExperts, 1),
            NumActivatedExperts = r.Int(R.NumExpertsPerTok),
            MoeInterDim = r.Int(R.MoeIntermediateSize),
            ScoreFunc = score,
            RouteScale = r.Dbl(R.RoutedScalingFactor, 1.0),
            NumHashLayers = r.Int(R.NumHashLayers, 0),
            SwigluLimit = r.Dbl(R.SwigluLimit, 0.0),
            HcMult = r.Int(R.HcMult, 4),
            HcSinkhornIters = r.Int(R.HcSinkhornIters, 20),
            HcEps = r.Dbl(R.HcEps, 1e-6),
            NormEps = r.Dbl(R.RmsNormEps, 1e-6),
            RopeTheta = r.Dbl(R.RopeTheta, 10000),
            CompressRopeTheta = r.Dbl(R.CompressRopeTheta, 160000),
            RopeScaling = rope,
            MaxPositions = r.Int(R.MaxPositionEmbeddings),
            NumMtpLayers = mtp,
            CompressRatios = ratios,
            Fp8Weights = fp8,
            ExpertFormat = experts,
            BosTokenId = r.Int(R.TokenId with { Key = "bos_token_id" }, 0),
            EosTokenId = r.Int(R.TokenId with { Key = "eos_token_id" }, 1),
        };
        cfg = cfg with { DSpark = V4DSparkKeys.Read(doc.RootElement, source, layers, mtp, cfg.VocabSize, cfg.NumRoutedExperts, cfg.NumActivatedExperts) };
        ModelConfigValidator.Validate(cfg, source);
        return cfg;
    }

    private readonly struct Reader(JsonElement e, string source)
    {
        private JsonElement? Get(string key) => e.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private ModelConfigException OutOfRange(IntRange range, string got) =>
            new($"{source}: '{range.Key}' must be an integer in {range}, got {Clip(got)}");

        private static string Clip(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";

        private int Checked(JsonElement v, IntRange range)
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < range.Min || x > range.Max)
                throw OutOfRange(range, v.GetRawText());
            return (int)x;
        }

        public int Int(IntRange range, int? fallback = null)
        {
            JsonElement? v = Get(range.Leaf);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{range.Key}' (an integer in {range})");
            return Checked(v.Value, range);
        }

        public double Dbl(RealRange range, double? fallback = null)
        {
            JsonElement? v = Get(range.Leaf);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{range.Key}' (a number in {range})");
            // TryGetDouble refuses values that overflow to infinity (1e400).
            if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetDouble(out double x) || !range.Contains(x))
                throw new ModelConfigException($"{source}: '{range.Key}' must be a finite number in {range}, got {Clip(v.Value.GetRawText())}");
            return x;
        }

        public string Str(string key, string? fallback = null)
        {
            JsonElement? v = Get(key);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{key}'");
            if (v.Value.ValueKind != JsonValueKind.String) throw new ModelConfigException($"{source}: '{key}' must be a string, got {Clip(v.Value.GetRawText())}");
            return v.Value.GetString()!;
        }

        /// <summary>An array of at most <paramref name="maxCount"/> integers, each in <paramref name="item"/>'s range.</summary>
        public List<int> IntList(string key, IntRange item, int maxCount, List<int>? fallback = null)
        {
            JsonElement? v = Get(key);
            if (v is null) return fallback ?? throw new ModelConfigException($"{source}: missing required key '{key}'");
            if (v.Value.ValueKind != JsonValueKind.Array) throw new ModelConfigException($"{source}: '{key}' must be an array of integers in {item}");
            int count = v.Value.GetArrayLength();
            if (count > maxCount) throw new ModelConfigException($"{source}: '{key}' has {count} entries, at most {maxCount} are allowed");
            var list = new List<int>(count);
            int i = 0;
            foreach (var x in v.Value.EnumerateArray())
            {
                if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out long n) || n < item.Min || n > item.Max)
                    throw new ModelConfigException($"{source}: '{key}[{i}]' must be an integer in {item}, got {Clip(x.GetRawText())}");
                list.Add((int)n);
                i++;
            }
            return list;
        }
    }
}
