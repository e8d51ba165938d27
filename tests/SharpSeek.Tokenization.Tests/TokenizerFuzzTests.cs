// tokenizer.json under hostile input: ids beyond the sane range, regexes that backtrack
// catastrophically, and a seeded mutation fuzz of a small complete tokenizer.json. Loading either
// succeeds (and then encode/decode of hostile text works) or throws TokenizerFormatException.
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SharpSeek.Testing;

namespace SharpSeek.Tokenization.Tests;

public sealed class TokenizerFuzzTests
{
    private const string Base = """
        {"added_tokens":[{"id":5,"content":"<eos>","special":true},{"id":6,"content":"<x>","special":false,"normalized":true}],
         "normalizer":{"type":"Sequence","normalizers":[{"type":"Lowercase"},{"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "}]},
         "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"[a-z]+|[0-9]"},"behavior":"Isolated","invert":false},
           {"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]},
         "decoder":{"type":"ByteLevel"},
         "model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"Ġ":3,"c":4},"merges":[["a","b"]]}}
        """;

    private static Tokenizer Load(string json) => Tokenizer.FromJson(Encoding.UTF8.GetBytes(json));

    private static string WithSplit(string regex)
    {
        var root = JsonNode.Parse(Base)!;
        root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = regex;
        return root.ToJsonString();
    }

    [Fact]
    public void BaseLoads() => Assert.NotEmpty(Load(Base).Encode("ab ab"));

    [Theory]
    [InlineData(2147483647L)]
    [InlineData(16777216L)]
    [InlineData(-1L)]
    [InlineData(4294967296L)]
    public void VocabIdOutsideTheRangeIsRefused(long id)
    {
        string json = Base.Replace("\"c\":4", $"\"c\":{id}");
        var e = Assert.Throws<TokenizerFormatException>(() => Load(json));
        Assert.Contains("model.vocab", e.Message);
        Assert.Contains("16777215", e.Message);
    }

    [Theory]
    [InlineData(2147483647L)]
    [InlineData(-5L)]
    public void AddedTokenIdOutsideTheRangeIsRefused(long id)
    {
        string json = Base.Replace("\"id\":5", $"\"id\":{id}");
        var e = Assert.Throws<TokenizerFormatException>(() => Load(json));
        Assert.Contains("added_tokens[0].id", e.Message);
    }

    [Theory]
    [InlineData("(a+)+$")]
    [InlineData("(a|a)*b")]
    [InlineData("(a*)*c")]
    public void CatastrophicSplitRegexDoesNotHang(string regex)
    {
        var tok = Load(WithSplit(regex));
        var sw = Stopwatch.StartNew();
        tok.Encode(new string('a', 5000) + "!");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"{sw.Elapsed}");
    }

    [Fact]
    public void BacktrackingOnlyRegexIsBoundedByTheTimeout()
    {
        // A lookahead needs the backtracking engine; the match timeout turns the blow-up into an error.
        var tok = Load(WithSplit("(a+)+(?=b)"));
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<TokenizerFormatException>(() => tok.Encode(new string('a', 40) + "!"));
        Assert.Contains("pre_tokenizer Split pattern", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void LoneSurrogateEscapeIsAFormatError() =>   // found by the fuzz test: was InvalidOperationException
        Assert.Throws<TokenizerFormatException>(() => Load(Base.Replace("\"c\":4", "\"\\ud800\":4")));

    [Fact]
    public void NonStringNormalizerRegexIsAFormatError() =>   // found by the fuzz test: was InvalidOperationException
        Assert.Contains("normalizer.normalizers[1].pattern", Assert.Throws<TokenizerFormatException>(() =>
            Load(Base.Replace("{\"Regex\":\"\\\\s+\"}", "{\"Regex\":16777216}"))).Message);

    [Fact]
    public void InvalidRegexNamesThePath() =>
        Assert.Contains("pre_tokenizer Split pattern", Assert.Throws<TokenizerFormatException>(() => Load(WithSplit("(a"))).Message);

    private static readonly string[] s_hostile =
    [
        "0", "-1", "2147483647", "16777216", "1e400", "0.5", "null", "true", "\"\"", "\"a\"", "\"a b\"", "[]", "{}",
        "[\"a\",\"b\"]", "[[\"a\",\"zz\"]]", "{\"Regex\":\"(a+)+$\"}", "{\"Regex\":\"(\"}", "{\"Regex\":\"\"}", "{\"String\":\"\"}",
        "{\"String\":\"a\"}", "\"Isolated\"", "\"Removed\"", "\"Contiguous\"", "\"Bogus\"", "\"BPE\"", "\"ByteLevel\"", "\"Split\"",
        "{\"type\":\"Digits\"}", "{\"type\":\"Foo\"}", "{\"a\":2147483647}", "[{\"id\":1,\"content\":\"\"}]",
        "[{\"id\":9,\"content\":\"ab\",\"special\":true}]", "\"<unk>\"", "\"LONE_SURROGATE\"",
    ];

    private sealed record Case(string Json, string Text, string Edits);

    private static Gen<Case> Mutations()
    {
        string[] paths = Fuzz.Paths(JsonNode.Parse(Base)!).ToArray();
        string[] texts = ["ab ab", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "<eos><x> c", "\ud83d\ude00 é\u0301 0123", "\u0000\t\r\n", "ab\ud800ab"];
        Gen<(string, int)> edit = from p in Gen.Elements(paths) from v in Gen.Choose(0, s_hostile.Length - 1) select (p, v);
        return from n in Gen.Choose(1, 3)
               from edits in edit.ListOf(n)
               from t in Gen.Elements(texts)
               select Apply(edits, t);
    }

    private static Case Apply(IEnumerable<(string Path, int Value)> edits, string text)
    {
        var root = JsonNode.Parse(Base)!;
        var log = new StringBuilder();
        foreach (var (path, v) in edits)
        {
            Fuzz.Edit(root, path, JsonNode.Parse(s_hostile[v]));
            log.Append($"{path}={s_hostile[v]} ");
        }
        return new Case(root.ToJsonString().Replace("LONE_SURROGATE", "\\ud800"), text, log.ToString());
    }

    private static void LoadOrRefuse(Case c)
    {
        Tokenizer tok;
        try { tok = Load(c.Json); }
        catch (TokenizerFormatException) { return; }
        int[] ids;
        try { ids = [.. tok.Encode(c.Text)]; }
        catch (TokenizerFormatException) { return; }   // e.g. a character the vocabulary cannot encode
        Assert.All(ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
        _ = tok.Decode(ids);
    }

    [Fact]
    public void FuzzTokenizerJsonLoadsOrIsRefusedCleanly() =>
        Fuzz.Run(Mutations(), Fuzz.Cases(2000), LoadOrRefuse, c => $"{c.Edits} | text {System.Text.Json.JsonSerializer.Serialize(c.Text)}");
}
