// Bad checkpoints and configs end with a clear error naming the file, tensor or key.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Tests;

public sealed class BadInputTests
{
    private static string TinyConfigJson => File.ReadAllText(Fixtures.Path("v4-tiny", "config.json"));

    private static InMemoryTensorSource CopyOfTiny(Func<TensorView, (DType, long[], byte[])?> edit, string? drop = null)
    {
        using var src = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var copy = new InMemoryTensorSource("edited tiny checkpoint");
        foreach (string n in src.Names)
        {
            if (n == drop) continue;
            TensorView v = src.Get(n);
            var e = edit(v);
            if (e is { } x) copy.Add(n, x.Item1, x.Item2, x.Item3);
            else copy.Add(n, v.DType, v.Shape.ToArray(), v.Bytes);
        }
        return copy;
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var w = CopyOfTiny(_ => null, drop: "layers.2.attn.compressor.ape");
        var e = Assert.Throws<KeyNotFoundException>(() => DeepSeekV4<float>.Load(ModelConfigParser.Parse(TinyConfigJson), w));
        Assert.Contains("layers.2.attn.compressor.ape", e.Message);
    }

    [Fact]
    public void MisShapedTensorIsNamedWithBothShapes()
    {
        using var w = CopyOfTiny(v => v.Name == "layers.1.attn.attn_sink" ? (DType.F32, [5], new byte[20]) : null);
        var e = Assert.Throws<InvalidDataException>(() => DeepSeekV4<float>.Load(ModelConfigParser.Parse(TinyConfigJson), w));
        Assert.Contains("layers.1.attn.attn_sink", e.Message);
        Assert.Contains("[5]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void ConfigContradictingTheWeightsIsReported()
    {
        // The config says FP8 experts; the file holds FP4 (I8) experts.
        string json = TinyConfigJson.Replace("\"expert_dtype\": \"fp4\"", "\"expert_dtype\": \"fp8\"");
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => DeepSeekV4<float>.Load(ModelConfigParser.Parse(json), w));
        Assert.Contains("experts", e.Message);
        Assert.Contains("I8", e.Message);
    }

    [Fact]
    public void WiderConfigThanTheWeightsIsReported()
    {
        string json = TinyConfigJson.Replace("\"moe_intermediate_size\": 128", "\"moe_intermediate_size\": 256");
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => DeepSeekV4<float>.Load(ModelConfigParser.Parse(json), w));
        Assert.Contains("does not match the config", e.Message);
    }

    [Fact]
    public void HashTableWithExpertOutOfRangeIsReported()
    {
        using var w = CopyOfTiny(v =>
        {
            if (v.Name != "layers.0.ffn.gate.tid2eid") return null;
            byte[] b = v.Bytes.ToArray();
            BitConverter.TryWriteBytes(b.AsSpan(0, 8), 99L);
            return (v.DType, v.Shape.ToArray(), b);
        });
        var e = Assert.Throws<InvalidDataException>(() => DeepSeekV4<float>.Load(ModelConfigParser.Parse(TinyConfigJson), w));
        Assert.Contains("tid2eid", e.Message);
        Assert.Contains("99", e.Message);
    }

    [Theory]
    [InlineData("\"scoring_func\": \"sqrtsoftplus\"", "\"scoring_func\": \"relu\"", "scoring_func")]
    [InlineData("\"num_key_value_heads\": 1", "\"num_key_value_heads\": 2", "num_key_value_heads")]
    [InlineData("\"hidden_size\": 256", "\"hidden_size\": \"wide\"", "hidden_size")]
    [InlineData("\"model_type\": \"deepseek_v4\"", "\"model_type\": \"llama\"", "model_type")]
    [InlineData("\"num_attention_heads\": 4", "\"num_attention_heads\": 3", "o_groups")]
    public void UnsupportedConfigValuesAreRejectedByKey(string from, string to, string key)
    {
        string json = TinyConfigJson.Replace(from, to);
        Assert.NotEqual(TinyConfigJson, json);
        var e = Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse(json, "config.json"));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void MalformedJsonIsRejected()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfigParser.Parse("{\"vocab_size\": 12,", "cfg.json"));
        Assert.Contains("cfg.json", e.Message);
    }

    [Fact]
    public void ContextLimitIsEnforced()
    {
        string json = TinyConfigJson.Replace("\"max_position_embeddings\": 1024", "\"max_position_embeddings\": 8");
        using var w = Checkpoint.Open(Fixtures.Path("v4-tiny", "model.safetensors"));
        var m = DeepSeekV4<float>.Load(ModelConfigParser.Parse(json), w);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => m.Forward(new int[9], new State.SequenceState<float>(m.Config), new float[9 * m.VocabSize]));
        Assert.Contains("max_position_embeddings", e.Message);
    }
}
