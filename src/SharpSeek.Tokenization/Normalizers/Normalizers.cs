// HF `normalizer` nodes: Sequence, NFC/NFD/NFKC/NFKD, Lowercase, Replace (string or regex), Prepend,
// Strip and StripAccents, built from the tokenizer.json node. A normalizer maps a whole segment of
// text (between added tokens) to its normalized form before pre-tokenization.
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SharpSeek.Tokenization.Normalizers;

public interface INormalizer
{
    string Normalize(string text);
}

internal sealed class SequenceNormalizer(IReadOnlyList<INormalizer> steps) : INormalizer
{
    public int Count => steps.Count;

    public string Normalize(string text)
    {
        foreach (INormalizer n in steps) text = n.Normalize(text);
        return text;
    }
}

internal sealed class UnicodeFormNormalizer : INormalizer
{
    private readonly NormalizationForm _form;

    public UnicodeFormNormalizer(NormalizationForm form, string path)
    {
        if (!IsSupported)
            throw new TokenizerFormatException($"{path}: Unicode normalization ({form}) is unavailable in this process (InvariantGlobalization without ICU makes string.Normalize a no-op)");
        _form = form;
    }

    /// <summary>Whether string.Normalize really normalizes here (it does not under invariant globalization).</summary>
    public static bool IsSupported { get; } = "\u00C5".Normalize(NormalizationForm.FormD) != "\u00C5";

    public string Normalize(string text) => text.IsNormalized(_form) ? text : text.Normalize(_form);
}

internal sealed class LowercaseNormalizer : INormalizer
{
    public string Normalize(string text) => text.ToLowerInvariant();
}

internal sealed class ReplaceNormalizer(Func<string, string> replace) : INormalizer
{
    public string Normalize(string text) => replace(text);
}

internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    public string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public string Normalize(string text)
    {
        ReadOnlySpan<char> s = text;
        if (left) s = s.TrimStart();
        if (right) s = s.TrimEnd();
        return s.Length == text.Length ? text : s.ToString();
    }
}

internal sealed class StripAccentsNormalizer : INormalizer
{
    public string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            if ((UnicodeClass.Of(c) & CharClass.Mark) == 0 || char.IsSurrogate(c)) sb.Append(c);
        return sb.ToString();
    }
}

internal static class NormalizerFactory
{
    /// <summary>Builds the normalizer of a tokenizer.json node; null when there is nothing to do.</summary>
    public static INormalizer? Create(JsonElement node, string path)
    {
        if (node.ValueKind == JsonValueKind.Null) return null;
        string type = JsonFields.RequiredString(node, "type", path);
        switch (type)
        {
            case "Sequence":
                var steps = new List<INormalizer>();
                int i = 0;
                foreach (JsonElement child in JsonFields.RequiredArray(node, "normalizers", path))
                {
                    INormalizer? n = Create(child, $"{path}.normalizers[{i++}]");
                    if (n != null) steps.Add(n);
                }
                return steps.Count == 0 ? null : new SequenceNormalizer(steps);
            case "NFC": return new UnicodeFormNormalizer(NormalizationForm.FormC, $"{path}.type NFC");
            case "NFD": return new UnicodeFormNormalizer(NormalizationForm.FormD, $"{path}.type NFD");
            case "NFKC": return new UnicodeFormNormalizer(NormalizationForm.FormKC, $"{path}.type NFKC");
            case "NFKD": return new UnicodeFormNormalizer(NormalizationForm.FormKD, $"{path}.type NFKD");
            case "Lowercase": return new LowercaseNormalizer();
            case "StripAccents": return new StripAccentsNormalizer();
            case "Prepend": return new PrependNormalizer(JsonFields.RequiredString(node, "prepend", path));
            case "Strip":
                return new StripNormalizer(JsonFields.OptionalBool(node, "strip_left", true), JsonFields.OptionalBool(node, "strip_right", true));
            case "Replace":
            {
                string content = JsonFields.RequiredString(node, "content", path);
                JsonElement pattern = JsonFields.Required(node, "pattern", path);
                if (pattern.ValueKind != JsonValueKind.Object) throw new TokenizerFormatException($"{path}.pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}");
                if (pattern.TryGetProperty("String", out JsonElement lit) && lit.ValueKind == JsonValueKind.String)
                {
                    string literal = lit.GetString() ?? "";
                    return new ReplaceNormalizer(t => literal.Length == 0 ? t : t.Replace(literal, content, StringComparison.Ordinal));
                }
                if (pattern.TryGetProperty("Regex", out JsonElement rx) && rx.ValueKind == JsonValueKind.String)
                {
                    var regex = TokenizerLimits.CompileRegex(rx.GetString() ?? "", $"{path}.pattern.Regex");
                    string where = $"{path}.pattern.Regex";
                    return new ReplaceNormalizer(t =>
                    {
                        try { return regex.Replace(t, _ => content); }
                        catch (RegexMatchTimeoutException) { throw new TokenizerFormatException($"{where} took more than {TokenizerLimits.MatchTimeout.TotalSeconds} s on a {t.Length}-character input (catastrophic backtracking)"); }
                    });
                }
                throw new TokenizerFormatException($"{path}.pattern must have a \"String\" or \"Regex\" key with a string value");
            }
            default:
                throw new TokenizerFormatException($"{path}.type \"{type}\" is not a supported normalizer (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip, StripAccents)");
        }
    }
}
