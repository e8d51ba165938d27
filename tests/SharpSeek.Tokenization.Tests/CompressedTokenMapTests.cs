// V4.1 Engram's compressed token map of the real tokenizer against the one the official
// build_compressed_token_map produced (golden/tokenizer/engram_compressed_map.json: 129,280 ids,
// 99,092 classes; the test holds the sha256 of its compact JSON lookup rather than a 745 KB copy).
using System.Security.Cryptography;
using System.Text;
using SharpSeek.Tokenization.Engram;
using SharpSeek.Tokenization.Unicode;

namespace SharpSeek.Tokenization.Tests;

public sealed class CompressedTokenMapTests
{
    private const string GoldenLookupSha256 = "261d60496f8546ea0f7712ccd2965dc7f3222d1ef05269cb5a8390b3028ba3e9";

    [Fact]
    public void RealTokenizerMapEqualsTheOfficialOneOnAllIds()
    {
        var tokenizer = Fixtures.V4;
        var (map, classes) = CompressedTokenMap.Build(tokenizer);
        Assert.Equal(129280, map.Length);
        Assert.Equal(99092, classes);
        string json = "[" + string.Join(",", map) + "]";
        Assert.Equal(GoldenLookupSha256, Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(json))));
    }

    [Theory]
    [InlineData(" The", "the")]
    [InlineData("THE", "the")]
    [InlineData("Café", "cafe")]
    [InlineData("ﬁ", "fi")]               // compatibility ligature (NFKC)
    [InlineData("Ｈｅｌｌｏ", "hello")]      // full-width forms
    [InlineData("İ", "i")]                // NFKD first strips the dot; lowercase of the bare I is i
    [InlineData(" ", " ")]                // a lone space survives Strip
    [InlineData("\t\n", " ")]             // a whitespace run collapses to one space, which survives
    [InlineData("  a  b ", "a b")]
    [InlineData("한", "\u1112\u1161\u11AB")] // Hangul decomposes algorithmically
    [InlineData("\uE000x", " x")]         // a literal sentinel character becomes a space
    public void NormalizerChainFollowsTheOfficialSteps(string text, string expected)
    {
        string got = CompressedTokenMap.Normalize(text);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void CanonicalOrderingSortsMarksByCombiningClass()
    {
        // a + dot below (220) after dot above (230) reorders to 220 first
        Assert.Equal("a\u0323\u0307", UnicodeNormalization.Nfkd("a\u0307\u0323"));
        Assert.True(UnicodeNormalization.IsMark(0x0301));
        Assert.False(UnicodeNormalization.IsMark('a'));
    }
}
