// Hand-written scanners for the split patterns DeepSeek V3/V4 and GPT-2 use. They reproduce the
// Oniguruma/fancy-regex semantics of the HF patterns (leftmost match, alternatives tried in order,
// greedy with backtracking) on code points, so astral letters and digits classify as HF does.
namespace SharpSeek.Tokenization.PreTokenizers;

/// <summary><c>\p{N}{1,3}</c>: runs of numbers cut into groups of three from the left.</summary>
internal sealed class DigitGroupMatcher : ISplitMatcher
{
    public const string Pattern = @"\p{N}{1,3}";

    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            if ((UnicodeClass.At(s, i, out int w) & CharClass.Number) == 0) { i += w; continue; }
            int start = i, count = 0;
            while (i < s.Length && count < 3 && (UnicodeClass.At(s, i, out w) & CharClass.Number) != 0) { i += w; count++; }
            matches.Add((start, i));
        }
    }
}

/// <summary><c>[一-龥぀-ゟ゠-ヿ]+</c>: runs of CJK unified ideographs (to U+9FA5), hiragana and katakana.</summary>
internal sealed class CjkRunMatcher : ISplitMatcher
{
    public const string Pattern = "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";

    private static bool IsCjk(char c) => c is (>= '\u4E00' and <= '\u9FA5') or (>= '\u3040' and <= '\u30FF');

    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            if (!IsCjk(s[i])) { i++; continue; }
            int start = i;
            while (i < s.Length && IsCjk(s[i])) i++;
            matches.Add((start, i));
        }
    }
}

/// <summary>
/// The DeepSeek V3/V4 word pattern:
/// <c>[!"#$%&amp;'()*+,\-./:;&lt;=&gt;?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// </summary>
internal sealed class DeepSeekWordMatcher : ISplitMatcher
{
    public const string Pattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

    private const CharClass LetterOrMark = CharClass.Letter | CharClass.Mark;
    private const CharClass PunctOrSymbol = CharClass.Punctuation | CharClass.Symbol;

    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            int end = MatchAt(s, i, out int width);
            if (end < 0) { i += width; continue; }
            matches.Add((i, end));
            i = end;
        }
    }

    private static bool IsAsciiPunct(char c) => c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~');
    private static bool IsAsciiLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';
    private static bool IsCrLf(char c) => c is '\r' or '\n';

    /// <summary>End of the match starting at <paramref name="p"/>, or -1; <paramref name="width"/> is the code point width at p.</summary>
    private static int MatchAt(ReadOnlySpan<char> s, int p, out int width)
    {
        char c0 = s[p];
        CharClass k0 = UnicodeClass.At(s, p, out width);
        int n = s.Length;
        // 1. ASCII punctuation followed by ASCII letters.
        if (IsAsciiPunct(c0) && p + 1 < n && IsAsciiLetter(s[p + 1]))
        {
            int e = p + 1;
            while (e < n && IsAsciiLetter(s[e])) e++;
            return e;
        }
        // 2. [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
        bool optional = !IsCrLf(c0) && (k0 & (CharClass.Letter | PunctOrSymbol)) == 0;
        if (optional && p + width < n && (UnicodeClass.At(s, p + width, out _) & LetterOrMark) != 0)
            return LetterMarkRun(s, p + width);
        if ((k0 & LetterOrMark) != 0)
            return LetterMarkRun(s, p);
        // 3.  ?[\p{P}\p{S}]+[\r\n]*
        int q = p;
        if (c0 == ' ' && p + 1 < n && (UnicodeClass.At(s, p + 1, out _) & PunctOrSymbol) != 0) q = p + 1;
        if ((UnicodeClass.At(s, q, out int wq) & PunctOrSymbol) != 0)
        {
            int e = q + wq;
            while (e < n && (UnicodeClass.At(s, e, out int w) & PunctOrSymbol) != 0) e += w;
            while (e < n && IsCrLf(s[e])) e++;
            return e;
        }
        if ((k0 & CharClass.WhiteSpace) == 0) return -1;
        // 4. \s*[\r\n]+ : up to the last CR/LF in the whitespace run.
        int runEnd = p, lastCrLf = -1;
        while (runEnd < n && (UnicodeClass.At(s, runEnd, out int w) & CharClass.WhiteSpace) != 0)
        {
            if (IsCrLf(s[runEnd])) lastCrLf = runEnd;
            runEnd += w;
        }
        if (lastCrLf >= 0) return lastCrLf + 1;
        // 5. \s+(?!\S)  6. \s+  (all whitespace here is BMP, one unit each)
        if (runEnd == n || runEnd - p == 1) return runEnd;
        return runEnd - 1;
    }

    private static int LetterMarkRun(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length && (UnicodeClass.At(s, i, out int w) & LetterOrMark) != 0) i += w;
        return i;
    }
}

/// <summary>The GPT-2 pattern <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.</summary>
internal sealed class Gpt2Matcher : ISplitMatcher
{
    public const string Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            int end = MatchAt(s, i);
            matches.Add((i, end));
            i = end;
        }
    }

    private static int Run(ReadOnlySpan<char> s, int i, Func<CharClass, bool> accept)
    {
        while (i < s.Length && accept(UnicodeClass.At(s, i, out int w))) i += w;
        return i;
    }

    private static bool IsLetter(CharClass k) => (k & CharClass.Letter) != 0;
    private static bool IsNumber(CharClass k) => (k & CharClass.Number) != 0;
    private static bool IsOther(CharClass k) => (k & (CharClass.WhiteSpace | CharClass.Letter | CharClass.Number)) == 0;

    private static int MatchAt(ReadOnlySpan<char> s, int p)
    {
        int n = s.Length;
        if (s[p] == '\'' && p + 1 < n)
        {
            char a = s[p + 1];
            if (a is 's' or 't' or 'm' or 'd') return p + 2;
            if (p + 2 < n && ((a == 'r' && s[p + 2] == 'e') || (a == 'v' && s[p + 2] == 'e') || (a == 'l' && s[p + 2] == 'l'))) return p + 3;
        }
        int q = s[p] == ' ' && p + 1 < n ? p + 1 : p;
        CharClass kq = UnicodeClass.At(s, q, out _);
        if (IsLetter(kq)) return Run(s, q, IsLetter);
        if (IsNumber(kq)) return Run(s, q, IsNumber);
        if (IsOther(kq)) return Run(s, q, IsOther);
        UnicodeClass.At(s, p, out int w0);
        int runEnd = p;
        while (runEnd < n && (UnicodeClass.At(s, runEnd, out int w) & CharClass.WhiteSpace) != 0) runEnd += w;
        if (runEnd == p) return p + w0;
        if (runEnd == n || runEnd - p == 1) return runEnd;
        return runEnd - 1;
    }
}
