// The generic pre-tokenizer and normalizer paths (not exercised by the DeepSeek file): split
// behaviours, invert, the Regex fallback on astral code points, the GPT-2 scanner against .NET
// Regex on BMP text, and normalizers under invariant globalization.
using System.Text.Json;
using System.Text.RegularExpressions;
using SharpSeek.Tokenization.Normalizers;
using SharpSeek.Tokenization.PreTokenizers;

namespace SharpSeek.Tokenization.Tests;

public sealed class PreTokenizerTests
{
    private static string[] Pieces(string preTokenizerJson, string text)
    {
        using JsonDocument d = JsonDocument.Parse(preTokenizerJson);
        IPreTokenizer pre = PreTokenizerFactory.Create(d.RootElement, "pre_tokenizer", out _)!;
        var buffer = new PreTokenizeBuffer();
        buffer.Reset(text);
        pre.Apply(buffer);
        return buffer.Pieces.Select(p => buffer.Text(p).ToString()).ToArray();
    }

    private static string Split(string pattern, string behavior, bool invert = false) =>
        $"{{\"type\":\"Split\",\"pattern\":{pattern},\"behavior\":\"{behavior}\",\"invert\":{(invert ? "true" : "false")}}}";

    [Theory]
    [InlineData("Isolated", new[] { "a", "-", "b", "-", "-", "c" })]
    [InlineData("Removed", new[] { "a", "b", "c" })]
    [InlineData("MergedWithPrevious", new[] { "a-", "b-", "-", "c" })]
    [InlineData("MergedWithNext", new[] { "a", "-b", "-", "-c" })]
    [InlineData("Contiguous", new[] { "a", "-", "b", "--", "c" })]
    public void Split_behaviours(string behavior, string[] expected) =>
        Assert.Equal(expected, Pieces(Split("{\"String\":\"-\"}", behavior), "a-b--c"));

    [Fact]
    public void Split_invert_keeps_matches_as_gaps() =>
        Assert.Equal(["ab", "12", "c"], Pieces(Split("{\"Regex\":\"[0-9]+\"}", "Isolated", invert: true), "ab12c"));

    [Fact]
    public void Regex_fallback_classifies_astral_letters() =>
        Assert.Equal(["a𝔘b", " ", "𠀀c", "🙂"], Pieces(Split("{\"Regex\":\"\\\\p{L}+\"}", "Isolated"), "a𝔘b 𠀀c🙂"));

    [Fact]
    public void ByteLevel_with_regex_and_prefix_space() =>
        Assert.Equal([" Hello", " world", "'s", " 123", "!!", "  ", " x"],
            Pieces("{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true}", "Hello world's 123!!   x"));

    [Fact]
    public void Gpt2_scanner_agrees_with_regex_on_bmp_text()
    {
        var regex = new Regex(Gpt2Matcher.Pattern);
        var rng = new Random(3);
        var matcher = new Gpt2Matcher();
        const string alphabet = "ab Z9'st\n\t .,!é中 \ufeff\u00a0";
        for (int i = 0; i < 2000; i++)
        {
            string s = new string(Enumerable.Range(0, rng.Next(1, 30)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            var ours = new List<(int, int)>();
            matcher.FindAll(s, ours);
            var theirs = regex.Matches(s).Select(m => (m.Index, m.Index + m.Length)).ToList();
            Assert.Equal(theirs, ours);
        }
    }

    [Fact]
    public void Digits_pre_tokenizer() =>
        Assert.Equal(["a", "1", "2", "b"], Pieces("{\"type\":\"Digits\",\"individual_digits\":true}", "a12b"));

    [Fact]
    public void Normalizers_apply_in_sequence()
    {
        using JsonDocument d = JsonDocument.Parse(
            "{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"},{\"type\":\"Lowercase\"},{\"type\":\"Strip\",\"strip_left\":false,\"strip_right\":true},{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"▁\"},{\"type\":\"Prepend\",\"prepend\":\"▁\"}]}");
        if (!UnicodeFormNormalizer.IsSupported)
        {
            // InvariantGlobalization (Directory.Build.props) leaves string.Normalize a no-op: refuse loudly.
            Assert.Contains("NFKC", Assert.Throws<TokenizerFormatException>(() => NormalizerFactory.Create(d.RootElement, "normalizer")).Message);
            return;
        }
        INormalizer n = NormalizerFactory.Create(d.RootElement, "normalizer")!;
        Assert.Equal("▁fi▁foo", n.Normalize("ﬁ FOO  "));
    }
}
