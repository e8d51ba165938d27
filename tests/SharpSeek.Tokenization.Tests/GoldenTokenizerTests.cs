// The golden tokenizer cases (tokenize_cases.json: 88 encode, 22 decode) and the extra HF-generated
// vectors (extra_encode_cases.json), run against the real DeepSeek V4 tokenizer.json.
using System.Text.Json;

namespace SharpSeek.Tokenization.Tests;

public sealed class GoldenTokenizerTests
{
    public static IEnumerable<object[]> EncodeCases() => Cases("tokenize_cases.json", "encode");
    public static IEnumerable<object[]> DecodeCases() => Cases("tokenize_cases.json", "decode");

    private static IEnumerable<object[]> Cases(string file, string key)
    {
        using JsonDocument doc = Fixtures.Load(file);
        int i = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty(key).EnumerateArray())
            yield return new object[] { i++, c.TryGetProperty("name", out var n) ? n.GetString()! : "" };
    }

    private static JsonElement Case(JsonDocument doc, string key, int index) => doc.RootElement.GetProperty(key)[index];

    [Theory]
    [MemberData(nameof(EncodeCases))]
    public void Encode_matches_golden(int index, string name)
    {
        using JsonDocument doc = Fixtures.Load("tokenize_cases.json");
        JsonElement c = Case(doc, "encode", index);
        int[] expected = Fixtures.Ids(c.GetProperty("ids"));
        int[] actual = Fixtures.V4.Encode(c.GetProperty("text").GetString()!);
        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(",", expected)}] got [{string.Join(",", actual)}]");
    }

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void Decode_matches_golden(int index, string name)
    {
        using JsonDocument doc = Fixtures.Load("tokenize_cases.json");
        JsonElement c = Case(doc, "decode", index);
        string text = Fixtures.V4.Decode(Fixtures.Ids(c.GetProperty("ids")), c.GetProperty("skip_special_tokens").GetBoolean());
        Assert.True(c.GetProperty("text").GetString() == text, name);
    }

    [Fact]
    public void Golden_case_counts()
    {
        using JsonDocument doc = Fixtures.Load("tokenize_cases.json");
        Assert.Equal(88, doc.RootElement.GetProperty("encode").GetArrayLength());
        Assert.Equal(22, doc.RootElement.GetProperty("decode").GetArrayLength());
    }

    [Fact]
    public void Extra_hf_vectors_match()
    {
        // SHARPSEEK_EXTRA_CASES may point at a larger locally generated vector file of the same shape.
        string? external = Environment.GetEnvironmentVariable("SHARPSEEK_EXTRA_CASES");
        using JsonDocument doc = external != null ? JsonDocument.Parse(File.ReadAllBytes(external)) : Fixtures.Load("extra_encode_cases.json");
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("encode").EnumerateArray())
        {
            count++;
            string text = c.GetProperty("text").GetString()!;
            int[] expected = Fixtures.Ids(c.GetProperty("ids"));
            int[] actual = Fixtures.V4.Encode(text);
            if (!expected.SequenceEqual(actual)) failures.Add($"{JsonSerializer.Serialize(text)}: expected [{string.Join(",", expected)}] got [{string.Join(",", actual)}]");
            else if (Fixtures.V4.Decode(actual) != text) failures.Add($"{JsonSerializer.Serialize(text)}: decode mismatch");
        }
        Assert.True(count >= 300, $"only {count} extra vectors");
        Assert.True(failures.Count == 0, $"{failures.Count}/{count} failed:\n" + string.Join("\n", failures.Take(10)));
    }

    [Fact]
    public void Vocab_size_and_special_flags()
    {
        Assert.Equal(129_280, Fixtures.V4.VocabSize);
        Assert.True(Fixtures.V4.IsSpecial(0));
        Assert.False(Fixtures.V4.IsSpecial(128803)); // <｜User｜> is not special
        Assert.Equal(128821, Fixtures.V4.TokenToId("<think>"));
    }
}
