// Builds the pre-tokenizer pipeline from a tokenizer.json `pre_tokenizer` node. Known split patterns
// (DeepSeek V3/V4, GPT-2) get hand-written scanners; any other regex falls back to RegexMatcher.
using System.Text.Json;

namespace SharpSeek.Tokenization.PreTokenizers;

internal static class PreTokenizerFactory
{
    /// <summary>Returns the pipeline (null for none) and whether a ByteLevel stage is present.</summary>
    public static IPreTokenizer? Create(JsonElement node, string path, out bool byteLevel)
    {
        byteLevel = false;
        if (node.ValueKind == JsonValueKind.Null) return null;
        string type = JsonFields.RequiredString(node, "type", path);
        switch (type)
        {
            case "Sequence":
            {
                var stages = new List<IPreTokenizer>();
                int i = 0;
                foreach (JsonElement child in JsonFields.RequiredArray(node, "pretokenizers", path))
                {
                    IPreTokenizer? stage = Create(child, $"{path}.pretokenizers[{i++}]", out bool bl);
                    byteLevel |= bl;
                    if (stage != null) stages.Add(stage);
                }
                return new SequencePreTokenizer(stages);
            }
            case "ByteLevel":
                byteLevel = true;
                return new ByteLevelPreTokenizer(JsonFields.OptionalBool(node, "add_prefix_space", true), JsonFields.OptionalBool(node, "use_regex", true));
            case "Split":
                return new SplitPreTokenizer(CreateMatcher(JsonFields.Required(node, "pattern", path), path + ".pattern"),
                    ParseBehavior(JsonFields.RequiredString(node, "behavior", path), path), JsonFields.OptionalBool(node, "invert", false));
            case "Digits":
                return new SplitPreTokenizer(new DigitsMatcher(JsonFields.OptionalBool(node, "individual_digits", false)), SplitBehavior.Isolated, false);
            case "WhitespaceSplit":
                return new SplitPreTokenizer(new WhitespaceMatcher(), SplitBehavior.Removed, false);
            default:
                throw new TokenizerFormatException($"{path}.type \"{type}\" is not a supported pre-tokenizer (supported: Sequence, Split, ByteLevel, Digits, WhitespaceSplit)");
        }
    }

    private static SplitBehavior ParseBehavior(string value, string path) => value switch
    {
        "Isolated" => SplitBehavior.Isolated,
        "Removed" => SplitBehavior.Removed,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new TokenizerFormatException($"{path}.behavior \"{value}\" is not one of Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous"),
    };

    internal static ISplitMatcher CreateMatcher(JsonElement pattern, string path)
    {
        if (pattern.ValueKind == JsonValueKind.Object && pattern.TryGetProperty("String", out JsonElement lit) && lit.ValueKind == JsonValueKind.String)
            return new LiteralMatcher(lit.GetString()!);
        if (pattern.ValueKind == JsonValueKind.Object && pattern.TryGetProperty("Regex", out JsonElement rx) && rx.ValueKind == JsonValueKind.String)
        {
            string regex = rx.GetString()!;
            return regex switch
            {
                DigitGroupMatcher.Pattern => new DigitGroupMatcher(),
                CjkRunMatcher.Pattern => new CjkRunMatcher(),
                DeepSeekWordMatcher.Pattern => new DeepSeekWordMatcher(),
                Gpt2Matcher.Pattern => new Gpt2Matcher(),
                _ => new RegexMatcher(regex),
            };
        }
        throw new TokenizerFormatException($"{path} must be {{\"String\": ...}} or {{\"Regex\": ...}}");
    }
}
