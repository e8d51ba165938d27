// The V4.1 config in both forms (HF top level, official ModelArgs / reference_model_args), the two
// forms cross-checked, and every refusal naming its key.
using System.Text.Json.Nodes;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Model.Tests.V41;

public sealed class V41ConfigTests
{
    private static JsonObject Golden() => JsonNode.Parse(File.ReadAllText(Fixtures.Path("v41-tiny", "config.json")))!.AsObject();

    private static ModelConfigException Refused(JsonNode cfg) => Assert.Throws<ModelConfigException>(() => V41ConfigParser.Parse(cfg.ToJsonString(), "config.json"));

    [Fact]
    public void GoldenConfigParsesIntoTheReferenceValues()
    {
        V41Config c = V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));
        Assert.Equal([0, 2, 2, 1, 1, 1, 0, 0], c.Base.CompressRatios);
        Assert.Equal([1, 3], c.KvSourceLayers);
        Assert.Equal([1, 3, 5], c.IndexSourceLayers);
        Assert.Equal(new CandidateConfig(3, 3, 4), c.Candidates);
        Assert.Equal([0, 2], c.Engram.LayerIds);
        Assert.Equal([8058L, 8184L], c.Engram.NumEmbeddings);
        Assert.Equal((3, 2000, 2, 32, 2, 2742), (c.Engram.MaxNgramSize, c.Engram.VocabSize, c.Engram.NumHeads, c.Engram.HeadDim, c.Engram.PadId, c.Engram.CompressedVocabSize));
        Assert.Equal(4, c.Engram.HashColumns);
        Assert.Equal([3, 4, 5], c.DSpark.TargetLayerIds);
        Assert.Equal((4, 4095, 16, 4, 1), (c.DSpark.BlockSize, c.DSpark.NoiseTokenId, c.DSpark.MarkovRank, c.DSpark.NumRoutedExperts, c.DSpark.NumActivatedExperts));
        Assert.Equal(new VisionConfig(2, 32, 2, 48, 14, 10000.0, 3, 64, 3136, null), c.Vision);
        Assert.Equal(1e-20, c.Base.NormEps);
        Assert.Equal(64, c.OriginalSeqLen);
        Assert.Equal(ExpertFormat.Fp4, c.Base.ExpertFormat);
        Assert.True(c.Base.Fp8Weights);
        Assert.True(c.IsKvSource(3) && !c.IsKvSource(4) && c.OwnsIndexKeys(3) && !c.OwnsIndexKeys(5));
        Assert.True(c.IsCandidateSource(3) && c.UsesCandidates(5) && !c.UsesCandidates(4));
    }

    [Fact]
    public void BothFormsAloneGiveTheSameConfig()
    {
        var full = Golden();
        var hfOnly = Golden();
        hfOnly.Remove(V41ConfigParser.ReferenceArgsKey);
        var argsOnly = full[V41ConfigParser.ReferenceArgsKey]!.DeepClone();
        V41Config a = V41ConfigParser.Parse(full.ToJsonString()), b = V41ConfigParser.Parse(hfOnly.ToJsonString()), c = V41ConfigParser.Parse(argsOnly.ToJsonString());
        foreach (V41Config x in new[] { b, c })
        {
            Assert.Equal(a.Base with { CompressRatios = [] }, x.Base with { CompressRatios = [] });
            Assert.Equal(a.Base.CompressRatios, x.Base.CompressRatios);
            Assert.Equal(a.Engram with { LayerIds = [], NumEmbeddings = [] }, x.Engram with { LayerIds = [], NumEmbeddings = [] });
            Assert.Equal(a.Vision, x.Vision);
            Assert.Equal(a.Candidates, x.Candidates);
            Assert.Equal(a.IndexSourceLayers, x.IndexSourceLayers);
            Assert.Equal(a.DSpark.TargetLayerIds, x.DSpark.TargetLayerIds);
        }
        Assert.True(V41ConfigParser.IsV41(full.ToJsonString()) && V41ConfigParser.IsV41(argsOnly.ToJsonString()));
        Assert.False(V41ConfigParser.IsV41(File.ReadAllText(Fixtures.Path("v4-tiny", "config.json"))));
    }

    [Theory]
    [InlineData("hidden_size", "65", "dim")]
    [InlineData("kv_source_layer_ids", "[1, 4]", "kv_source_layers")]
    [InlineData("rms_norm_eps", "1e-6", "norm_eps")]
    [InlineData("engram_pad_token_id", "3", "engram_pad_id")]
    public void ContradictoryFormsAreRefusedByKey(string hfKey, string value, string argKey)
    {
        var cfg = Golden();
        cfg[hfKey] = JsonNode.Parse(value);
        var e = Refused(cfg);
        Assert.Contains($"'{hfKey}'", e.Message);
        Assert.Contains(argKey, e.Message);
        Assert.Contains("contradicts", e.Message);
    }

    [Fact]
    public void NestedHfKeysAreCrossCheckedToo()
    {
        var cfg = Golden();
        cfg["rope_scaling"]!["original_max_position_embeddings"] = 128;
        Assert.Contains("rope_scaling.original_max_position_embeddings", Refused(cfg).Message);
        cfg = Golden();
        cfg["vision_config"]!["hidden_size"] = 64;
        Assert.Contains("vision_config.hidden_size", Refused(cfg).Message);
    }

    [Theory]
    [InlineData("n_layers", "0")]
    [InlineData("index_head_dim", "16")]
    [InlineData("engram_max_ngram_size", "99")]
    [InlineData("candidate_source_layer", "-2")]
    [InlineData("dspark_block_size", "100000")]
    [InlineData("norm_eps", "-1")]
    [InlineData("rope_theta", "1e400")]
    [InlineData("vocab_size", "12.5")]
    public void ArgOutOfRangeIsRefusedNamingKeyAndRange(string key, string value)
    {
        var args = Golden()[V41ConfigParser.ReferenceArgsKey]!.AsObject();
        args[key] = JsonNode.Parse(value);
        var e = Refused(args);
        Assert.Contains($"'{key}'", e.Message);
        Assert.Matches(@"[\[(]-?\d", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("kv_source_layers", "[2, 3]", "layer 1")]
    [InlineData("index_source_layers", "[3, 5]", "index_source_layers")]
    [InlineData("kv_source_layers", "[1, 2]", "top-k")]
    [InlineData("compress_ratios", "[0, 2, 2, 1, 1, 1, 0]", "compress_ratios")]
    [InlineData("compress_ratios", "[0, 2, 2, 1, 1, 1, 0, 2]", "compress_ratios[7]")]
    [InlineData("candidate_source_layer", "4", "candidate_source_layer")]
    [InlineData("engram_layer_ids", "[2, 0]", "engram_layer_ids")]
    [InlineData("engram_num_embeddings", "[8058]", "engram_num_embeddings")]
    [InlineData("engram_head_dim", "48", "engram_head_dim")]
    [InlineData("dspark_target_layer_ids", "[3, 9]", "dspark_target_layer_ids")]
    [InlineData("score_func", "\"relu\"", "score_func")]
    [InlineData("dtype", "\"fp16\"", "dtype")]
    [InlineData("no_such_field", "1", "no_such_field")]
    public void InconsistentArgsAreRefusedByKey(string key, string value, string named)
    {
        var args = Golden()[V41ConfigParser.ReferenceArgsKey]!.AsObject();
        args[key] = JsonNode.Parse(value);
        Assert.Contains(named, Refused(args).Message);
    }

    [Fact]
    public void Fp8BlocksOf128AndWrongModelTypeAreRefused()
    {
        var cfg = Golden();
        cfg["quantization_config"]!["weight_block_size"] = JsonNode.Parse("[128, 128]");
        Assert.Contains("weight_block_size", Refused(cfg).Message);
        cfg = Golden();
        cfg["model_type"] = "deepseek_v4";
        Assert.Contains("model_type", Refused(cfg).Message);
        Assert.Contains("not valid JSON", Assert.Throws<ModelConfigException>(() => V41ConfigParser.Parse("{")).Message);
    }

    [Fact]
    public void TheModelArgsFormOfAConfigParsesBackToTheSameConfig()
    {
        V41Config c = V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));
        JsonObject args = V41ConfigArgs.ToArgs(c);
        V41Config back = V41ConfigParser.Parse(args.ToJsonString(), "args");
        Assert.Equal(args.ToJsonString(), V41ConfigArgs.ToArgs(back).ToJsonString());
        // every key of the table is written (the optional max_wh_ratio only when set)
        Assert.Equal(V41ConfigKeys.All.Count(k => k.Arg is not ("max_batch_size" or "temperature") && (k.Arg != "vision_max_wh_ratio" || c.Vision.MaxWhRatio is not null)), args.Count);
        Assert.Equal(c.Engram.NumEmbeddings, back.Engram.NumEmbeddings);
        Assert.Equal(c.Base.NormEps, back.Base.NormEps);
        Assert.Equal(c.DSpark.TargetLayerIds, back.DSpark.TargetLayerIds);
        Assert.Equal(c.Vision with { }, back.Vision);
    }
}
