// Constrained decoding on hand-made vocabularies: the schema grammar accepts valid documents and
// rejects invalid ones byte by byte, the trie mask equals its per-token plain twin on every prefix,
// EOS comes only where the document may end, and a constrained random sampler always produces a
// document that parses and has the schema's shape.
using System.Text;
using System.Text.Json;
using SharpSeek.Runtime.Constraints;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Tests;

public sealed class ConstraintTests
{
    private const string Person = """
        {"type": "object", "additionalProperties": false, "required": ["name", "age", "tags", "role"],
         "properties": {"name": {"type": "string", "maxLength": 6}, "age": {"type": "integer"},
           "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b\"c"]}, "maxItems": 3},
           "nick": {"type": ["string", "null"]},
           "role": {"anyOf": [{"$ref": "#/$defs/admin"}, {"type": "null"}]}},
         "$defs": {"admin": {"type": "object", "properties": {"level": {"type": "number"}}, "required": ["level"], "additionalProperties": false}}}
        """;

    private static GrammarNode Compile(string schema) => JsonSchemaCompiler.Compile(JsonDocument.Parse(schema).RootElement);

    [Theory]
    [InlineData("""{"name":"Ann","age":31,"tags":["a","b\"c"],"role":null}""")]
    [InlineData("""{"name": "Ann", "age": -4, "tags": [], "nick": null, "role": {"level": 2.5}}""")]
    [InlineData("""{"name":"Zoë","age":0,"tags":["a"],"nick":"\u00e9\n","role":{"level":-0.125}}""")]
    public void Valid_documents_match(string doc) => Assert.True(GrammarMatcher.Matches(Compile(Person), Encoding.UTF8.GetBytes(doc)), doc);

    [Theory]
    [InlineData("""{"name":"Ann","age":31,"tags":["a"]}""")]                                 // role is required
    [InlineData("""{"age":31,"name":"Ann","tags":[],"role":null}""")]                         // schema order
    [InlineData("""{"name":"Annabel","age":31,"tags":[],"role":null}""")]                     // maxLength 6
    [InlineData("""{"name":"Ann","age":3.5,"tags":[],"role":null}""")]                        // integer
    [InlineData("""{"name":"Ann","age":031,"tags":[],"role":null}""")]                        // leading zero
    [InlineData("""{"name":"Ann","age":1,"tags":["c"],"role":null}""")]                       // enum
    [InlineData("""{"name":"Ann","age":1,"tags":["a","a","a","a"],"role":null}""")]           // maxItems
    [InlineData("""{"name":"Ann","age":1,"tags":[],"role":null,"x":1}""")]                    // additionalProperties
    [InlineData("""{"name":"Ann","age":1,"tags":[],"role":{}}""")]                            // level required
    [InlineData("""{"name":"Ann","age":1,"tags":[],"role":null} """)]                         // nothing after the end
    [InlineData("""{"name":"A\x","age":1,"tags":[],"role":null}""")]                          // bad escape
    public void Invalid_documents_do_not_match(string doc) => Assert.False(GrammarMatcher.Matches(Compile(Person), Encoding.UTF8.GetBytes(doc)), doc);

    [Fact]
    public void Invalid_utf8_in_a_string_does_not_match()
    {
        byte[] doc = [(byte)'"', 0xC3, (byte)'"'];
        Assert.False(GrammarMatcher.Matches(Compile("""{"type": "string"}"""), doc));
        Assert.True(GrammarMatcher.Matches(Compile("""{"type": "string"}"""), [(byte)'"', 0xC3, 0xA9, (byte)'"']));
    }

    [Theory]
    [InlineData("""{"type": "string", "pattern": "a+"}""", "pattern")]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "integer", "minimum": 1}}}""", "properties.a.minimum")]
    [InlineData("""{"oneOf": [{"type": "string"}]}""", "oneOf")]
    [InlineData("""{"type": "thing"}""", "type")]
    [InlineData("""{"$ref": "#/$defs/missing"}""", "$ref")]
    [InlineData("""{"type": "object", "properties": {}, "required": ["a"]}""", "required")]
    public void Unsupported_or_broken_schemas_name_the_place(string schema, string path)
    {
        var e = Assert.Throws<SchemaException>(() => Compile(schema));
        Assert.Equal(path, e.Path);
    }

    [Fact]
    public void Lenient_mode_ignores_unsupported_keywords()
    {
        GrammarNode g = JsonSchemaCompiler.Compile(JsonDocument.Parse("""{"type": "integer", "minimum": 1}""").RootElement, strict: false);
        Assert.True(GrammarMatcher.Matches(g, "12"u8));
    }

    [Fact]
    public void Json_object_mode_takes_any_object_and_nothing_else()
    {
        GrammarNode g = JsonSchemaCompiler.AnyObject();
        Assert.True(GrammarMatcher.Matches(g, """{"a": [1, {"b": null}], "c": "d", "e": -1.5, "f": true}"""u8));
        Assert.False(GrammarMatcher.Matches(g, "[1]"u8));
        Assert.False(GrammarMatcher.Matches(g, "\"x\""u8));
    }

    /// <summary>Every ASCII byte, UTF-8 bytes of é, some multi-byte tokens, an atomic token and EOS.</summary>
    public static TokenVocabulary Vocabulary(out int eos, out int atomic)
    {
        var tokens = new List<byte[]?>();
        for (int b = 1; b < 128; b++) tokens.Add([(byte)b]);
        tokens.Add([0xC3]); tokens.Add([0xA9]); tokens.Add([0xC3, 0xA9]);
        foreach (string t in new[] { "{\"", "\":", "\": ", ", \"", "\"}", "true", "null", "12", "-0.", "\"a\"", "name", "age", "tags", "role", "level", "[]", "],", "}}" })
            tokens.Add(Encoding.UTF8.GetBytes(t));
        atomic = tokens.Count; tokens.Add(Encoding.UTF8.GetBytes("</think>"));
        eos = tokens.Count; tokens.Add(null);
        tokens.Add(null); // a special token without text
        return new TokenVocabulary(tokens, [atomic], [eos]);
    }

    [Fact]
    public void Trie_mask_equals_the_plain_mask_on_every_prefix_of_a_document()
    {
        TokenVocabulary v = Vocabulary(out int eos, out int atomic);
        var c = new GrammarConstraint(Compile(Person), v);
        byte[] doc = Encoding.UTF8.GetBytes("""{"name": "Zé", "age": 12, "tags": ["a"], "role": {"level": -0.5}}""");
        GrammarMatcher state = c.Initial;
        for (int i = 0; i <= doc.Length; i++)
        {
            bool[] fast = c.Allowed(state), plain = c.AllowedPlain(state);
            Assert.Equal(plain, fast);
            Assert.Equal(i == doc.Length, fast[eos]);
            Assert.False(fast[atomic]);
            if (i < doc.Length) state = state.Advance(doc.AsSpan(i, 1)) ?? throw new Xunit.Sdk.XunitException($"the document stops matching at byte {i}");
        }
        Assert.True(state.Accepting);
        Assert.Equal([eos], Enumerable.Range(0, v.Size).Where(id => c.Allowed(state)[id]));
    }

    [Fact]
    public void An_atomic_token_matches_only_a_literal()
    {
        TokenVocabulary v = Vocabulary(out _, out int atomic);
        var inString = new GrammarConstraint(Compile("""{"type": "string"}"""), v);
        Assert.False(inString.Allowed(inString.Initial.Advance("\"x"u8)!)[atomic]);
        var literal = new GrammarConstraint(Grammar.Sequence(Grammar.Literal("</think>"), Grammar.Literal("x")), v);
        Assert.True(literal.Allowed(literal.Initial)[atomic]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Sampling_random_logits_under_the_constraint_always_gives_a_valid_document(ulong seed)
    {
        TokenVocabulary v = Vocabulary(out int eos, out _);
        var limits = new ConstraintLimits { MaxStringLength = 8, MaxArrayItems = 3, MaxDepth = 2, MaxFreeProperties = 3, MaxDigits = 4 };
        var grammar = JsonSchemaCompiler.Compile(JsonDocument.Parse(Person).RootElement, limits);
        var trigger = new[] { 7 };
        var chain = SamplerChain.Create(new SamplingOptions { Temperature = 1, Seed = seed }, [new GrammarConstraint(grammar, v, trigger)]);
        var random = new Xoshiro256StarStar(seed * 77);
        var history = new TokenHistory([1, 2]);
        history.AddGenerated(7); // the trigger: from here on the grammar rules
        var text = new List<byte>();
        var logits = new float[v.Size];
        for (int step = 0; step < 2000; step++)
        {
            for (int i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 8 - 4);
            int id = chain.Sample(logits, history);
            history.AddGenerated(id);
            if (id == eos) break;
            text.AddRange(v.Bytes[id]!);
        }
        Assert.Equal(eos, history.Generated[^1]);
        using JsonDocument doc = JsonDocument.Parse(text.ToArray());
        JsonElement root = doc.RootElement;
        Assert.True(root.GetProperty("name").GetString()!.Length <= 6);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("age").ValueKind);
        Assert.All(root.GetProperty("tags").EnumerateArray(), t => Assert.Contains(t.GetString(), new[] { "a", "b\"c" }));
        Assert.True(root.GetProperty("role").ValueKind is JsonValueKind.Null or JsonValueKind.Object);
    }
}
