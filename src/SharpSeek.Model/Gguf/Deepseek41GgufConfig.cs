// Boundary: a V4.1 config <-> the metadata of a `deepseek41` GGUF. Every key of V41ConfigKeys has one
// GGUF key: llama.cpp's deepseek4 name where V4 has the same hyper-parameter (embedding_length,
// attention.*, expert_*, rope.*, hyper_connection.*), the name llama.cpp's V4.1 converter writes
// (kv_source_layer_ids, engram.layer_ids, attention.candidate_*, engram_*), and otherwise
// deepseek41.<ModelArgs name> (our own: llama.cpp has none). Reading rebuilds the ModelArgs form and
// hands it to V41ConfigParser, so a GGUF config passes the same ranges and cross-key rules.
using System.Text.Json.Nodes;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using K = SharpSeek.Model.Config.V41.V41ConfigKeys;

namespace SharpSeek.Model.Gguf;

public static class Deepseek41GgufConfig
{
    public const string Architecture = "deepseek41";
    private const string A = Architecture + ".";

    // ModelArgs name -> GGUF key (without the architecture prefix), where llama.cpp names it.
    private static readonly Dictionary<string, string> s_llama = new(StringComparer.Ordinal)
    {
        [K.VocabSize.Arg] = "vocab_size", [K.Dim.Arg] = "embedding_length", [K.NLayers.Arg] = "block_count",
        [K.MaxSeqLen.Arg] = "context_length", [K.NHeads.Arg] = "attention.head_count", [K.HeadDim.Arg] = "attention.key_length",
        [K.RopeHeadDim.Arg] = "rope.dimension_count", [K.QLoraRank.Arg] = "attention.q_lora_rank", [K.OLoraRank.Arg] = "attention.output_lora_rank",
        [K.OGroups.Arg] = "attention.output_group_count", [K.WindowSize.Arg] = "attention.sliding_window",
        [K.IndexNHeads.Arg] = "attention.indexer.head_count", [K.IndexHeadDim.Arg] = "attention.indexer.key_length", [K.IndexTopK.Arg] = "attention.indexer.top_k",
        [K.NRoutedExperts.Arg] = "expert_count", [K.NSharedExperts.Arg] = "expert_shared_count", [K.NActivatedExperts.Arg] = "expert_used_count",
        [K.MoeInterDim.Arg] = "expert_feed_forward_length", [K.RouteScale.Arg] = "expert_weights_scale",
        [K.HcMult.Arg] = "hyper_connection.count", [K.HcSinkhornIters.Arg] = "hyper_connection.sinkhorn_iterations", [K.HcEps.Arg] = "hyper_connection.epsilon",
        [K.NormEps.Arg] = "attention.layer_norm_rms_epsilon", [K.RopeTheta.Arg] = "rope.freq_base", [K.CompressRopeTheta.Arg] = "attention.compress_rope_freq_base",
        [K.CompressRatios.Arg] = "attention.compress_ratios", [K.RopeFactor.Arg] = "rope.scaling.factor", [K.OriginalSeqLen.Arg] = "rope.scaling.original_context_length",
        [K.BetaFast.Arg] = "rope.scaling.yarn_beta_fast", [K.BetaSlow.Arg] = "rope.scaling.yarn_beta_slow",
        // llama.cpp's V4.1 converter
        [K.KvSourceLayers.Arg] = "kv_source_layer_ids", [K.IndexSourceLayers.Arg] = "index_source_layer_ids", [K.DSparkTargetLayerIds.Arg] = "dspark_target_layer_ids",
        [K.CandidateSourceLayer.Arg] = "attention.candidate_source_layer_id", [K.CandidateTopKBlocks.Arg] = "attention.candidate_topk_blocks",
        [K.CandidateBlockSize.Arg] = "attention.candidate_block_size", [K.ScoreFunc.Arg] = "expert_scoring_func",
        [K.EngramLayerIds.Arg] = "engram.layer_ids", [K.EngramNumEmbeddings.Arg] = "engram.num_embeddings", [K.EngramHeadDim.Arg] = "engram_head_dim",
        [K.EngramNHeads.Arg] = "engram_n_heads", [K.EngramMaxNgramSize.Arg] = "engram_max_ngram_size", [K.EngramVocabSize.Arg] = "engram_vocab_size",
        [K.EngramCompressedVocabSize.Arg] = "engram_compressed_vocab_size", [K.EngramPadId.Arg] = "engram_pad_token_id",
    };

    /// <summary>The GGUF metadata key of a V4.1 config key.</summary>
    public static string KeyOf(V41Key key) => A + (s_llama.TryGetValue(key.Arg, out string? k) ? k : key.Arg);

    /// <summary>The deepseek41 metadata of <paramref name="c"/>: every config key, plus the llama.cpp keys derived from them.</summary>
    public static List<KeyValuePair<string, GgufValue>> ToMetadata(V41Config c)
    {
        var m = new List<KeyValuePair<string, GgufValue>> { new("general.architecture", GgufValue.Of(Architecture)) };
        foreach (var (key, value) in V41ConfigArgs.Values(c))
        {
            if (value is null) continue;
            bool llama = s_llama.ContainsKey(key.Arg);
            m.Add(new(KeyOf(key), key.Kind switch
            {
                V41KeyKind.Int or V41KeyKind.OptionalInt => key.Min < 0 ? GgufValue.Of(value.GetValue<int>()) : GgufValue.Of(checked((uint)value.GetValue<int>())),
                // float32 where llama.cpp reads the key (it reads float32); exact float64 for our own keys
                V41KeyKind.Real => llama ? GgufValue.Of((float)value.GetValue<double>()) : GgufValue.Of(value.GetValue<double>()),
                V41KeyKind.String => GgufValue.Of(value.GetValue<string>()),
                V41KeyKind.Bool => GgufValue.Of(value.GetValue<bool>()),
                _ => key.Max > uint.MaxValue
                    ? GgufValue.Array(GgufValueType.UInt64, value.AsArray().Select(v => GgufValue.Of(checked((ulong)v!.GetValue<long>()))))
                    : GgufValue.Array(GgufValueType.UInt32, value.AsArray().Select(v => GgufValue.Of(checked((uint)v!.GetValue<long>())))),
            }));
        }
        // Derived keys llama.cpp's deepseek4 loader also reads (write-only: the config keys above are the truth).
        m.Add(new(A + "attention.head_count_kv", GgufValue.Of(1u)));
        m.Add(new(A + "attention.value_length", GgufValue.Of((uint)c.Base.HeadDim)));
        m.Add(new(A + "expert_weights_norm", GgufValue.Of(c.NormTopkProb)));
        m.Add(new(A + "rope.scaling.type", GgufValue.Of("yarn")));
        return m;
    }

    /// <summary>The V4.1 config a deepseek41 GGUF describes; throws <see cref="ModelConfigException"/> naming the key.</summary>
    public static V41Config FromMetadata(IReadOnlyDictionary<string, GgufValue> meta, string path)
    {
        string source = $"{path} (GGUF metadata)";
        var args = new JsonObject();
        foreach (V41Key key in K.All)
        {
            string g = KeyOf(key);
            if (!meta.TryGetValue(g, out GgufValue? v))
            {
                if (key.Required) throw new ModelConfigException($"{source}: metadata '{g}' is missing (a deepseek41 GGUF needs it)");
                continue;
            }
            try
            {
                args[key.Arg] = key.Kind switch
                {
                    V41KeyKind.Int or V41KeyKind.OptionalInt => JsonValue.Create(v.AsInt64(g)),
                    V41KeyKind.Real => JsonValue.Create(v.AsDouble(g)),
                    V41KeyKind.String => JsonValue.Create(v.AsString(g)),
                    V41KeyKind.Bool => JsonValue.Create(v.AsBool(g)),
                    _ => new JsonArray(v.AsArray(g).Select(x => (JsonNode)JsonValue.Create(x.AsInt64(g))).ToArray()),
                };
            }
            catch (InvalidDataException e) { throw new ModelConfigException($"{source}: {e.Message}"); }
        }
        return V41ConfigParser.Parse(args.ToJsonString(), source);
    }
}
