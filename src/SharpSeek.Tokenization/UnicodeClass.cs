// Unicode code-point classification used by the hand-written pre-tokenizer scanners: the general
// categories the HF regexes test (\p{L}, \p{M}, \p{N}, \p{P}, \p{S}) and \s as Oniguruma defines it
// (the Unicode White_Space property). Works on code points, so astral letters/digits classify right.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace SharpSeek.Tokenization;

[Flags]
internal enum CharClass : byte
{
    None = 0,
    Letter = 1,
    Mark = 2,
    Number = 4,
    Punctuation = 8,
    Symbol = 16,
    WhiteSpace = 32,
}

internal static class UnicodeClass
{
    // Immutable after type initialisation: one byte of flags per BMP code point.
    private static readonly CharClass[] s_bmp = BuildBmp();

    private static CharClass[] BuildBmp()
    {
        var table = new CharClass[65536];
        for (int c = 0; c < 65536; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) { table[c] = CharClass.None; continue; }
            table[c] = FromCategory(CharUnicodeInfo.GetUnicodeCategory(c)) | (IsWhiteSpaceProperty(c) ? CharClass.WhiteSpace : 0);
        }
        return table;
    }

    /// <summary>The Unicode White_Space property (what Oniguruma and Rust regex use for \s).</summary>
    public static bool IsWhiteSpaceProperty(int c) =>
        c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static CharClass FromCategory(UnicodeCategory cat) => cat switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CharClass.Mark,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => CharClass.Punctuation,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
            or UnicodeCategory.OtherSymbol => CharClass.Symbol,
        _ => CharClass.None,
    };

    /// <summary>Classifies the code point at <paramref name="i"/> and returns its length in UTF-16 units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CharClass At(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (!char.IsSurrogate(c)) { width = 1; return s_bmp[c]; }
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            int cp = char.ConvertToUtf32(c, s[i + 1]);
            return FromCategory(CharUnicodeInfo.GetUnicodeCategory(cp));
        }
        width = 1; // a lone surrogate: category Cs
        return CharClass.None;
    }

    /// <summary>The code point at <paramref name="i"/> (a lone surrogate is returned as itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CodePointAt(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        width = 1;
        return c;
    }

    public static CharClass Of(int codePoint) =>
        codePoint < 65536 ? s_bmp[codePoint] : Rune.IsValid(codePoint) ? FromCategory(CharUnicodeInfo.GetUnicodeCategory(codePoint)) : CharClass.None;
}
