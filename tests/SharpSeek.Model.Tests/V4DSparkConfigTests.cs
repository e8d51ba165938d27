// The DSpark keys of a V4 config.json (V4-Flash-0731 names): where the stages live (beside the MTP block
// with dspark_num_stages, else in its place), the recorded weight map (0731 Markov names), and a clear
// error naming the key for every bad value.
using System.Text.Json.Nodes;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers.V41;

namespace SharpSeek.Model.Tests;

public sealed class V4DSparkConfigTests
{
    private static JsonObject Tiny(Action<JsonObject>? edit = null)
    {
        var c = JsonNode.Parse(File.ReadAllText(Fixtures.Path("v4-tiny", "config.json")))!.AsObject();
        c["dspark_block_size"] = 4;
        c["dspark_noise_token_id"] = 3;
        c["dspark_target_layer_ids"] = new JsonArray(0, 2);
        c["dspark_markov_rank"] = 8;
        c["dspark_n_routed_experts"] = 2;
        c["dspark_num_experts_per_tok"] = 2;
        edit?.Invoke(c);
        return c;
    }

    [Fact]
    public void StagesReplaceMtpUnlessCountedApart()
    {
        ModelConfig replace = ModelConfigParser.Parse(Tiny().ToJsonString());
        Assert.Equal("mtp", replace.DSpark!.Prefix);
        Assert.Equal(replace.NumMtpLayers, replace.DSpark.Stages);
        Assert.Equal(0, replace.MtpBlocks);
        ModelConfig beside = ModelConfigParser.Parse(Tiny(c => c[V4DSpark.StagesKey] = 2).ToJsonString());
        Assert.Equal("dspark", beside.DSpark!.Prefix);
        Assert.Equal(2, beside.DSpark.Stages);
        Assert.Equal(beside.NumMtpLayers, beside.MtpBlocks);
        Assert.Equal([0, 2], beside.DSpark.Head.TargetLayerIds);
        Assert.Null(ModelConfigParser.Parse(File.ReadAllText(Fixtures.Path("v4-tiny", "config.json"))).DSpark);
    }

    [Fact]
    public void WeightMapNamesTheStagesAnd0731MarkovHead()
    {
        ModelConfig c = ModelConfigParser.Parse(Tiny(j => j[V4DSpark.StagesKey] = 2).ToJsonString());
        var names = DSparkV4.WeightMap(c).Select(s => s.Name).ToHashSet();
        Assert.Contains("dspark.0.main_proj.weight", names);
        Assert.Contains("dspark.1.markov_head.markov_w1.weight", names);
        Assert.Contains("dspark.1.markov_head.markov_w2.weight", names);
        Assert.Contains("dspark.1.confidence_head.proj.weight", names);
        Assert.Contains("dspark.0.ffn.experts.1.w1.weight", names);
        Assert.DoesNotContain("dspark.0.ffn.experts.2.w1.weight", names);   // the draft's own expert count
        Assert.DoesNotContain("dspark.0.markov_head.markov_w1.weight", names);
        Assert.All(names, n => Assert.StartsWith("dspark.", n));
    }

    [Theory]
    [InlineData("dspark_target_layer_ids", "[0, 9]", "is not a layer id")]
    [InlineData("dspark_target_layer_ids", "[2, 1]", "strictly increasing")]
    [InlineData("dspark_target_layer_ids", "[]", "at least one layer")]
    [InlineData("dspark_target_layer_ids", "7", "must be an array")]
    [InlineData("dspark_noise_token_id", "100000000", "dspark_noise_token_id")]
    [InlineData("dspark_num_experts_per_tok", "3", "exceeds the draft's routed experts 2")]
    [InlineData("dspark_block_size", "-1", "dspark_block_size")]
    [InlineData("dspark_markov_rank", "\"big\"", "dspark_markov_rank")]
    [InlineData("dspark_num_stages", "0", "dspark_num_stages")]
    public void BadValuesAreRefusedByName(string key, string value, string message)
    {
        JsonObject c = Tiny();
        c[key] = JsonNode.Parse(value);
        var e = Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse(c.ToJsonString()));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void NoStagesAtAllIsRefused()
    {
        JsonObject c = Tiny(j => { j["num_nextn_predict_layers"] = 0; });
        var e = Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse(c.ToJsonString()));
        Assert.Contains("needs DSpark stages", e.Message);
    }
}
