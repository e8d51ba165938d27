// Parses a DeepSeek V4.1 config into V41Config. Two forms are read through one key table
// (V41ConfigKeys): the official inference/config.json (ModelArgs names, also found as
// `reference_model_args` inside the golden config.json) and the Hugging Face top level. When both are
// present the ModelArgs form is the truth and every key the two forms share must agree; a key that
// disagrees, is out of range or (in the ModelArgs form) is unknown is refused by name.
using System.Globalization;
using System.Text.Json;
using K = SharpSeek.Model.Config.V41.V41ConfigKeys;

namespace SharpSeek.Model.Config.V41;

public static class V41ConfigParser
{
    public const string ModelType = "deepseek_v41";
    public const string ReferenceArgsKey = "reference_model_args";

    /// <summary>Whether a config.json is V4.1: model_type deepseek_v41, a reference_model_args object, or bare ModelArgs (n_layers).</summary>
    public static bool IsV41(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return false;
            if (root.TryGetProperty("model_type", out var mt) && mt.ValueKind == JsonValueKind.String) return mt.GetString() == ModelType;
            return root.TryGetProperty(ReferenceArgsKey, out _) || root.TryGetProperty("n_layers", out _);
        }
        catch (JsonException) { return false; }
    }

    public static V41Config Parse(string json, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new ModelConfigException($"{source}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelConfigException($"{source}: the top level must be a JSON object");
            if (root.TryGetProperty("model_type", out var mt) && (mt.ValueKind != JsonValueKind.String || mt.GetString() != ModelType))
                throw new ModelConfigException($"{source}: model_type {mt.GetRawText()} is not a V4.1 config (expected \"{ModelType}\")");

            bool bare = root.TryGetProperty(K.NLayers.Arg, out _);
            bool hasArgs = root.TryGetProperty(ReferenceArgsKey, out JsonElement args);
            if (hasArgs && args.ValueKind != JsonValueKind.Object) throw new ModelConfigException($"{source}: '{ReferenceArgsKey}' must be an object");
            Form? hf = bare ? null : new Form(root, source, hfForm: true);
            Form truth = bare ? new Form(root, source, hfForm: false)
                : hasArgs ? new Form(args, source + ": " + ReferenceArgsKey, hfForm: false)
                : hf!;
            if (!truth.HfForm) truth.RejectUnknownKeys();
            if (hf is not null && !ReferenceEquals(hf, truth)) CrossCheck(truth, hf, source);
            V41Config cfg = Build(truth, hf ?? truth, source);
            V41ConfigValidator.Validate(cfg, source);
            return cfg;
        }
    }

    /// <summary>Every key present in both forms must hold the same value (numbers compared as numbers).</summary>
    private static void CrossCheck(Form truth, Form hf, string source)
    {
        foreach (V41Key key in K.All)
        {
            if (key.Hf is null || !truth.TryGet(key, out JsonElement a) || !hf.TryGet(key, out JsonElement b)) continue;
            if (!SameValue(a, b))
                throw new ModelConfigException($"{source}: '{key.Hf}' = {Clip(b.GetRawText())} contradicts {ReferenceArgsKey}.{key.Arg} = {Clip(a.GetRawText())}");
        }
        // The FP8 block size lives only in the HF form; the ModelArgs form fixes it at 32.
        if (hf.Root.TryGetProperty("quantization_config", out var q) && q.ValueKind == JsonValueKind.Object
            && truth.Str(K.Dtype, "fp8") != "fp8")
            throw new ModelConfigException($"{source}: quantization_config (fp8) contradicts {ReferenceArgsKey}.dtype = \"{truth.Str(K.Dtype, "fp8")}\"");
    }

    private static bool SameValue(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number) return a.GetDouble() == b.GetDouble();
        if (a.ValueKind == JsonValueKind.Array && b.ValueKind == JsonValueKind.Array)
        {
            if (a.GetArrayLength() != b.GetArrayLength()) return false;
            using var ea = a.EnumerateArray().GetEnumerator();
            using var eb = b.EnumerateArray().GetEnumerator();
            while (ea.MoveNext() && eb.MoveNext()) if (!SameValue(ea.Current, eb.Current)) return false;
            return true;
        }
        if ((a.ValueKind is JsonValueKind.True or JsonValueKind.False) && (b.ValueKind is JsonValueKind.True or JsonValueKind.False)) return a.ValueKind == b.ValueKind;
        return a.ValueKind == b.ValueKind && a.GetRawText() == b.GetRawText();
    }

    private static V41Config Build(Form f, Form hf, string source)
    {
        // Storage: dtype fp8 = 32x32 e4m3 linears (quantization_config must say so), experts fp4.
        string dtype = f.Str(K.Dtype, "fp8");
        if (dtype is not ("fp8" or "bf16")) throw new ModelConfigException($"{source}: 'dtype' \"{dtype}\" is not supported (\"fp8\" or \"bf16\")");
        CheckQuantization(hf.Root, source);
        string expertDtype = f.Str(K.ExpertDtype, "fp4");
        ExpertFormat experts = expertDtype switch
        {
            "fp4" => ExpertFormat.Fp4,
            "fp8" or "bf16" => dtype == "fp8" ? ExpertFormat.Fp8 : ExpertFormat.Bf16,
            _ => throw new ModelConfigException($"{source}: 'expert_dtype' \"{expertDtype}\" is not supported (\"fp4\", or null for the dense dtype)"),
        };
        string scoring = f.Str(K.ScoreFunc, "sqrtsoftplus");
        ScoringFunction score = scoring switch
        {
            "sqrtsoftplus" => ScoringFunction.SqrtSoftplus,
            "sigmoid" => ScoringFunction.Sigmoid,
            "softmax" => ScoringFunction.Softmax,
            _ => throw new ModelConfigException($"{source}: '{f.Name(K.ScoreFunc)}' \"{scoring}\" is not supported (sqrtsoftplus, sigmoid or softmax)"),
        };
        int layers = f.Int(K.NLayers), mtp = f.Int(K.NMtpLayers, 1);
        double ropeFactor = f.Real(K.RopeFactor, 40), betaFast = f.Real(K.BetaFast, 32), betaSlow = f.Real(K.BetaSlow, 1);
        int originalSeqLen = f.Int(K.OriginalSeqLen, 0);
        f.Int(K.MaxBatchSize, 4);
        f.Real(K.Temperature, 1);
        var baseConfig = new ModelConfig
        {
            ModelType = ModelType,
            VocabSize = f.Int(K.VocabSize),
            Dim = f.Int(K.Dim),
            NumLayers = layers,
            NumHeads = f.Int(K.NHeads),
            HeadDim = f.Int(K.HeadDim),
            RopeHeadDim = f.Int(K.RopeHeadDim),
            QLoraRank = f.Int(K.QLoraRank),
            OLoraRank = f.Int(K.OLoraRank),
            OGroups = f.Int(K.OGroups),
            WindowSize = f.Int(K.WindowSize),
            IndexHeads = f.Int(K.IndexNHeads),
            IndexHeadDim = f.Int(K.IndexHeadDim),
            IndexTopK = f.Int(K.IndexTopK),
            NumRoutedExperts = f.Int(K.NRoutedExperts),
            NumSharedExperts = f.Int(K.NSharedExperts, 1),
            NumActivatedExperts = f.Int(K.NActivatedExperts),
            MoeInterDim = f.Int(K.MoeInterDim),
            ScoreFunc = score,
            RouteScale = f.Real(K.RouteScale, 1),
            NumHashLayers = 0,
            SwigluLimit = f.Real(K.SwigluLimit, 0),
            HcMult = f.Int(K.HcMult, 4),
            HcSinkhornIters = f.Int(K.HcSinkhornIters, 20),
            HcEps = f.Real(K.HcEps, 1e-6),
            NormEps = f.Real(K.NormEps, 1e-20),
            RopeTheta = f.Real(K.RopeTheta, 10000),
            CompressRopeTheta = f.Real(K.CompressRopeTheta, 40000),
            RopeScaling = new RopeScaling("yarn", ropeFactor, originalSeqLen, betaFast, betaSlow),
            MaxPositions = f.Int(K.MaxSeqLen),
            NumMtpLayers = mtp,
            CompressRatios = f.IntList(K.CompressRatios).Select(v => (int)v).ToArray(),
            Fp8Weights = dtype == "fp8",
            ExpertFormat = experts,
            BosTokenId = 0,
            EosTokenId = 1,
        };
        return new V41Config
        {
            Base = baseConfig,
            KvSourceLayers = Ints(f, K.KvSourceLayers),
            IndexSourceLayers = Ints(f, K.IndexSourceLayers),
            Candidates = new CandidateConfig(f.Int(K.CandidateSourceLayer, -1), f.Int(K.CandidateTopKBlocks, 0), f.Int(K.CandidateBlockSize, 0)),
            Engram = new EngramConfig(Ints(f, K.EngramLayerIds), f.IntList(K.EngramNumEmbeddings, []), f.Int(K.EngramMaxNgramSize, 1),
                f.Int(K.EngramVocabSize, 0), f.Int(K.EngramNHeads, 0), f.Int(K.EngramHeadDim, 0), f.Int(K.EngramPadId, 2), f.Int(K.EngramCompressedVocabSize, 0)),
            DSpark = new DSparkConfig(f.Int(K.DSparkBlockSize, 0), f.Int(K.DSparkNoiseTokenId, 0), Ints(f, K.DSparkTargetLayerIds), f.Int(K.DSparkMarkovRank, 256),
                f.Int(K.DSparkNRoutedExperts, 0), f.Int(K.DSparkNActivatedExperts, 0)),
            Vision = new VisionConfig(f.Int(K.VisionNLayers, 0), f.Int(K.VisionDim, 1024), f.Int(K.VisionNHeads, 16), f.Int(K.VisionInterDim, 2816),
                f.Int(K.VisionPatchSize, 14), f.Real(K.VisionRopeTheta, 10000), f.Int(K.VisionDownsampleRatio, 3), f.Int(K.VisionMaxNToken, 1024),
                f.Int(K.VisionMinPixels, 544 * 544), f.OptionalInt(K.VisionMaxWhRatio)),
            GateTemp = f.Real(K.GateTemp, 1),
            NormTopkProb = f.Bool(K.NormTopkProb, true),
            OriginalSeqLen = originalSeqLen,
            ImageTokenId = f.Int(K.ImageTokenId, 129264),
        };
    }

    private static int[] Ints(Form f, V41Key key) => f.IntList(key, []).Select(v => (int)v).ToArray();

    /// <summary>quantization_config, when present: fp8 e4m3, ue8m0 scales, 32x32 blocks (V4 used 128x128).</summary>
    private static void CheckQuantization(JsonElement root, string source)
    {
        if (!root.TryGetProperty("quantization_config", out var q) || q.ValueKind == JsonValueKind.Null) return;
        if (q.ValueKind != JsonValueKind.Object) throw new ModelConfigException($"{source}: 'quantization_config' must be an object");
        void Expect(string key, string want)
        {
            if (q.TryGetProperty(key, out var v) && (v.ValueKind != JsonValueKind.String || v.GetString() != want))
                throw new ModelConfigException($"{source}: 'quantization_config.{key}' {Clip(v.GetRawText())} is not supported (expected \"{want}\")");
        }
        Expect("quant_method", "fp8");
        Expect("fmt", "e4m3");
        Expect("scale_fmt", "ue8m0");
        if (q.TryGetProperty("weight_block_size", out var b))
        {
            bool ok = b.ValueKind == JsonValueKind.Array && b.GetArrayLength() == 2
                && b.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int n) && n == V41Config.Fp8Block);
            if (!ok) throw new ModelConfigException($"{source}: 'quantization_config.weight_block_size' {Clip(b.GetRawText())} is not supported (V4.1 stores [32, 32] blocks)");
        }
    }

    private static string Clip(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";

    /// <summary>One form of the config: a key's value by its ModelArgs name or its HF path, range-checked on read.</summary>
    private sealed class Form(JsonElement root, string source, bool hfForm)
    {
        public JsonElement Root => root;
        public bool HfForm => hfForm;

        public string Name(V41Key key) => hfForm ? key.Hf ?? key.Arg : key.Arg;

        public bool TryGet(V41Key key, out JsonElement value)
        {
            value = default;
            string? path = hfForm ? key.Hf : key.Arg;
            if (path is null) return false;
            JsonElement e = root;
            foreach (string part in path.Split('.'))
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e)) return false;
            }
            if (e.ValueKind == JsonValueKind.Null && key.Kind != V41KeyKind.OptionalInt) return false;
            value = e;
            return true;
        }

        public void RejectUnknownKeys()
        {
            var known = K.All.Select(k => k.Arg).ToHashSet(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
                if (!known.Contains(p.Name)) throw new ModelConfigException($"{source}: unknown key '{p.Name}' (not a V4.1 ModelArgs field)");
        }

        private ModelConfigException Missing(V41Key key) => new($"{source}: missing required key '{Name(key)}'");

        private long CheckedInt(JsonElement v, V41Key key, string name)
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < key.Min || x > key.Max)
                throw new ModelConfigException($"{source}: '{name}' must be an integer in {key}, got {Clip(v.GetRawText())}");
            return x;
        }

        public int Int(V41Key key, int? fallback = null)
        {
            if (!TryGet(key, out var v)) return fallback ?? throw Missing(key);
            return checked((int)CheckedInt(v, key, Name(key)));
        }

        public int? OptionalInt(V41Key key)
        {
            if (!TryGet(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return (int)CheckedInt(v, key, Name(key));
        }

        public double Real(V41Key key, double? fallback = null)
        {
            if (!TryGet(key, out var v)) return fallback ?? throw Missing(key);
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x) || x < key.Min || x > key.Max)
                throw new ModelConfigException($"{source}: '{Name(key)}' must be a finite number in {key}, got {Clip(v.GetRawText())}");
            return x;
        }

        public string Str(V41Key key, string fallback)
        {
            if (!TryGet(key, out var v)) return fallback;
            if (v.ValueKind != JsonValueKind.String) throw new ModelConfigException($"{source}: '{Name(key)}' must be a string, got {Clip(v.GetRawText())}");
            return v.GetString()!;
        }

        public bool Bool(V41Key key, bool fallback)
        {
            if (!TryGet(key, out var v)) return fallback;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ModelConfigException($"{source}: '{Name(key)}' must be true or false, got {Clip(v.GetRawText())}"),
            };
        }

        public long[] IntList(V41Key key, long[]? fallback = null)
        {
            if (!TryGet(key, out var v)) return fallback ?? throw Missing(key);
            string name = Name(key);
            if (v.ValueKind != JsonValueKind.Array) throw new ModelConfigException($"{source}: '{name}' must be an array of integers in {key}");
            if (v.GetArrayLength() > 4096) throw new ModelConfigException($"{source}: '{name}' has {v.GetArrayLength()} entries, at most 4096 are allowed");
            var list = new long[v.GetArrayLength()];
            int i = 0;
            foreach (var x in v.EnumerateArray()) { list[i] = CheckedInt(x, key, $"{name}[{i.ToString(CultureInfo.InvariantCulture)}]"); i++; }
            return list;
        }
    }
}
