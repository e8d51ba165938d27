// Bad input gets a clear error naming the problem: malformed tokenizer.json, unknown ids, bad
// messages JSON; plus Python json.dumps number formatting.
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Json;

namespace SharpSeek.Tokenization.Tests;

public sealed class LoaderErrorTests
{
    private static TokenizerFormatException Load(string json) =>
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(System.Text.Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Unknown_model_type_names_field() => Assert.Contains("model.type", Load("{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}").Message);

    [Fact]
    public void Missing_merges_names_field() => Assert.Contains("model.merges", Load("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}").Message);

    [Fact]
    public void Merge_with_unknown_token_is_reported() =>
        Assert.Contains("model.merges[0]", Load("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a b\"]}}").Message);

    [Fact]
    public void Unknown_pre_tokenizer_names_field() =>
        Assert.Contains("pre_tokenizer.type", Load("{\"pre_tokenizer\":{\"type\":\"Foo\"},\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}").Message);

    [Fact]
    public void Invalid_json_is_reported() => Assert.Contains("not valid JSON", Load("{\"model\":").Message);

    [Fact]
    public void Merges_as_pairs_load()
    {
        var tok = Tokenizer.FromJson(System.Text.Encoding.UTF8.GetBytes(
            "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[[\"a\",\"b\"]]}}"));
        Assert.Equal([2, 0], tok.Encode("aba"));
        Assert.Equal("aba", tok.Decode([2, 0]));
    }

    [Fact]
    public void Decode_rejects_ids_beyond_vocab()
    {
        var e = Assert.Throws<UnknownTokenIdException>(() => Fixtures.V4.Decode([5, 129280]));
        Assert.Contains("129280", e.Message);
    }

    [Theory]
    [InlineData("[{\"role\":\"wizard\",\"content\":\"x\"}]", "role \"wizard\" is unknown")]
    [InlineData("[{\"content\":\"x\"}]", "role is missing")]
    [InlineData("[{\"role\":\"tool\",\"tool_call_id\":\"a\"}]", "content is missing")]
    [InlineData("[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"}}]}]", "function.name is missing")]
    [InlineData("{\"nope\":1}", "must be a JSON array")]
    public void Bad_messages_are_rejected(string json, string expected)
    {
        var e = Assert.Throws<ChatFormatException>(() => ChatMessageJson.Parse(json));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("1.0", "1.0")]
    [InlineData("1e20", "1e+20")]
    [InlineData("1e-7", "1e-07")]
    [InlineData("1e16", "1e+16")]
    [InlineData("1e15", "1000000000000000.0")]
    [InlineData("0.0001", "0.0001")]
    [InlineData("0.00001", "1e-05")]
    [InlineData("3.5", "3.5")]
    [InlineData("-0.0", "-0.0")]
    [InlineData("-0", "0")]
    [InlineData("123456789012345678901234567890", "123456789012345678901234567890")]
    [InlineData("1.5E+300", "1.5e+300")]
    [InlineData("0.1", "0.1")]
    public void Python_number_repr(string raw, string expected) => Assert.Equal(expected, PythonJson.FormatNumber(raw));
}
