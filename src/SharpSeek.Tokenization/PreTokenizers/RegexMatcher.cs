// Generic split-pattern matcher on .NET Regex, for patterns without a hand-written scanner.
// .NET Regex sees UTF-16 units, so astral code points (emoji, CJK Ext-B, math letters) would not
// match \p{L} etc.; each surrogate pair is replaced by a BMP stand-in of the same general category
// before matching and offsets are mapped back. Rust-only syntax differences remain a limitation.
// Compiled by TokenizerLimits.CompileRegex: linear time, or a match timeout (never a hang).
using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpSeek.Tokenization.PreTokenizers;

internal sealed class RegexMatcher : ISplitMatcher
{
    // One BMP stand-in per UnicodeCategory (index), chosen from the top of the BMP where explicit
    // character ranges in tokenizer patterns rarely reach. Immutable after type initialisation.
    private static readonly char[] s_standIn = BuildStandIns();

    private readonly Regex _regex;

    public RegexMatcher(string pattern)
    {
        _regex = TokenizerLimits.CompileRegex(pattern, "pre_tokenizer Split pattern");
    }

    private static char[] BuildStandIns()
    {
        var result = new char[32];
        for (int c = 0xFFFD; c >= 0x80; c--)
        {
            if (c is >= 0xD800 and <= 0xF8FF) continue; // surrogates and private use
            int cat = (int)CharUnicodeInfo.GetUnicodeCategory(c);
            if (result[cat] == '\0') result[cat] = (char)c;
        }
        for (int i = 0; i < result.Length; i++) if (result[i] == '\0') result[i] = '\uFFFD';
        return result;
    }

    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        try { FindAllUnbounded(s, matches); }
        catch (RegexMatchTimeoutException)
        {
            throw new TokenizerFormatException(
                $"pre_tokenizer Split pattern {_regex} took more than {TokenizerLimits.MatchTimeout.TotalSeconds} s on a {s.Length}-character input (catastrophic backtracking)");
        }
    }

    private void FindAllUnbounded(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        if (s.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (ValueMatch m in _regex.EnumerateMatches(s))
                if (m.Length > 0) matches.Add((m.Index, m.Index + m.Length));
            return;
        }
        // Proxy string: one char per code point; map[i] = offset in s of proxy char i (map[len] = s.Length).
        var proxy = new char[s.Length];
        var map = new int[s.Length + 1];
        int n = 0;
        for (int i = 0; i < s.Length;)
        {
            int cp = UnicodeClass.CodePointAt(s, i, out int w);
            map[n] = i;
            proxy[n++] = w == 1 ? s[i] : s_standIn[(int)CharUnicodeInfo.GetUnicodeCategory(cp)];
            i += w;
        }
        map[n] = s.Length;
        foreach (ValueMatch m in _regex.EnumerateMatches(proxy.AsSpan(0, n)))
            if (m.Length > 0) matches.Add((map[m.Index], map[m.Index + m.Length]));
    }
}
