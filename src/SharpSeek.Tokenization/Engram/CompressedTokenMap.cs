// V4.1 Engram's compressed token map, built from a tokenizer exactly as the official
// engram.build_compressed_token_map: every id is decoded alone (special tokens kept); a decode holding
// U+FFFD (a partial UTF-8 byte token) is keyed by its raw token string; otherwise the key is the text
// through NFKC -> NFD -> StripAccents -> Lowercase -> whitespace runs to one space -> a lone space kept
// -> Strip -> U+E000 to space (NFD of NFKC is NFKD, which is what is computed), or the raw text when that is empty.
// Ids that normalise alike share a class; classes are numbered in order of first appearance.
using System.Text.RegularExpressions;
using SharpSeek.Tokenization.Unicode;

namespace SharpSeek.Tokenization.Engram;

public static partial class CompressedTokenMap
{
    [GeneratedRegex("[ \t\r\n]+")]
    private static partial Regex WhitespaceRun();

    /// <summary>The map (token id -> class) over ids [0, tokenizer.VocabSize) and the number of classes.</summary>
    public static (int[] Map, int Classes) Build(Tokenizer tokenizer)
    {
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        var map = new int[tokenizer.VocabSize];
        for (int id = 0; id < map.Length; id++)
        {
            string text = tokenizer.IdToToken(id) is null ? "" : tokenizer.Decode([id]);
            string key;
            if (text.Contains('\uFFFD')) key = tokenizer.IdToToken(id)!;
            else
            {
                string normalized = Normalize(text);
                key = normalized.Length > 0 ? normalized : text;
            }
            if (!classes.TryGetValue(key, out int c)) classes[key] = c = classes.Count;
            map[id] = c;
        }
        return (map, classes.Count);
    }

    /// <summary>The official normalizer chain applied to one decoded token.</summary>
    public static string Normalize(string text)
    {
        string s = UnicodeNormalization.Nfkd(text);
        s = UnicodeNormalization.StripMarks(s);
        s = UnicodeNormalization.LowercasePerChar(s);
        s = WhitespaceRun().Replace(s, " ");
        // A lone space becomes the sentinel U+E000 so that Strip keeps it; after Strip every U+E000
        // (the sentinel, or one the token held itself) is replaced by a space.
        if (s == " ") s = "\uE000";
        return UnicodeNormalization.StripWhiteSpace(s).Replace('\uE000', ' ');
    }
}
