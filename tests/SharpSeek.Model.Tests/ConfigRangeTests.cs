// Every config.json key is refused outside its documented range (ModelConfigRanges) with an error
// naming the key and the range, before anything is allocated; the inputs of issue 25 are pinned here.
using System.Text.Json.Nodes;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Tests;

public sealed class ConfigRangeTests
{
    private static JsonObject Tiny() => JsonNode.Parse(File.ReadAllText(Fixtures.Path("v4-tiny", "config.json")))!.AsObject();

    private static ModelConfigException Refused(JsonObject cfg)
        => Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse(cfg.ToJsonString(), "config.json"));

    [Theory]
    [InlineData("vocab_size", "2147483647")]
    [InlineData("num_hidden_layers", "2147483647")]
    [InlineData("q_lora_rank", "2147483647")]
    [InlineData("sliding_window", "2147483647")]
    [InlineData("n_routed_experts", "2147483647")]
    [InlineData("hc_mult", "2147483647")]
    [InlineData("num_nextn_predict_layers", "2147483647")]
    [InlineData("hc_sinkhorn_iters", "1000000000")]
    [InlineData("vocab_size", "2147483648")]
    [InlineData("vocab_size", "-1")]
    [InlineData("vocab_size", "1e400")]
    [InlineData("vocab_size", "12.5")]
    [InlineData("rms_norm_eps", "-1")]
    [InlineData("rms_norm_eps", "0")]
    [InlineData("routed_scaling_factor", "1e400")]
    [InlineData("routed_scaling_factor", "0")]
    [InlineData("compress_rope_theta", "0")]
    [InlineData("compress_rope_theta", "-5")]
    [InlineData("rope_theta", "0")]
    [InlineData("rope_theta", "-1")]
    [InlineData("rope_theta", "1e309")]
    [InlineData("swiglu_limit", "-1")]
    [InlineData("hc_eps", "0")]
    [InlineData("max_position_embeddings", "2147483647")]
    [InlineData("num_key_value_heads", "2")]
    [InlineData("eos_token_id", "-1")]
    public void KeyOutsideItsRangeIsRefusedNamingKeyAndRange(string key, string value)
    {
        var cfg = Tiny();
        cfg[key] = JsonNode.Parse(value);
        var e = Refused(cfg);
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains("must be", e.Message);
        Assert.Matches(@"[\[(]-?\d", e.Message);   // the valid range is printed
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("factor", "0")]
    [InlineData("factor", "-1")]
    [InlineData("factor", "1e400")]
    [InlineData("original_max_position_embeddings", "2147483647")]
    [InlineData("beta_fast", "-1")]
    public void RopeScalingKeysHaveRanges(string key, string value)
    {
        var cfg = Tiny();
        cfg["rope_scaling"]![key] = JsonNode.Parse(value);
        var e = Refused(cfg);
        Assert.Contains($"rope_scaling.{key}", e.Message);
    }

    [Theory]
    [InlineData(1, 2147483647)]
    [InlineData(2, -1)]
    [InlineData(0, 100000)]
    public void CompressRatioEntriesHaveARange(int index, long value)
    {
        var cfg = Tiny();
        cfg["compress_ratios"]![index] = value;
        var e = Refused(cfg);
        Assert.Contains($"compress_ratios[{index}]", e.Message);
    }

    [Fact]
    public void InfinityAsAStringOrLiteralIsRefused()
    {
        string json = Tiny().ToJsonString().Replace("\"rope_theta\":10000", "\"rope_theta\":Infinity");
        Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse(json));
        var cfg = Tiny();
        cfg["rope_theta"] = "Infinity";
        Assert.Contains("rope_theta", Refused(cfg).Message);
    }

    [Fact]
    public void LoneSurrogateInAStringIsAConfigError() =>
        Assert.Contains("not valid Unicode", Assert.Throws<ModelConfigException>(() =>
            ModelConfigParser.Parse(Tiny().ToJsonString().Replace("\"deepseek_v4\"", "\"\\ud800\""))).Message);

    [Fact]
    public void TensorsThatCannotExistAreRefusedWithTheNumber()
    {
        // Every key inside its range, but embed would have 2^24 x 2^16 = 2^40 elements.
        var cfg = Tiny();
        cfg["vocab_size"] = 1 << 24;
        cfg["hidden_size"] = 1 << 16;
        var e = Refused(cfg);
        Assert.Contains("vocab_size x hidden_size", e.Message);
        Assert.Contains("1,099,511,627,776", e.Message);
    }

    [Fact]
    public void TheRealFlashConfigIsInsideEveryRange()
    {
        var c = ModelConfig.Load(Fixtures.Path("v4-flash", "config.json"));
        Assert.Equal(129280, c.VocabSize);
    }

    [Fact]
    public void AHugeConfigFileIsRefusedWithoutReadingItAll()
    {
        string path = System.IO.Path.GetTempFileName();
        try
        {
            using (var f = File.OpenWrite(path)) f.SetLength(ModelConfigParser.MaxFileBytes + 10);
            var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Load(path));
            Assert.Contains("larger than", e.Message);
        }
        finally { File.Delete(path); }
    }
}
