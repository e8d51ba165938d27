// Streaming reader for the large parts of tokenizer.json: the `model` object's vocab and merges are
// read straight off a Utf8JsonReader (no DOM for ~250k entries); the model's small option fields
// are collected into a little JSON object for BpeModel.Build to validate.
using System.Text.Json;

namespace SharpSeek.Tokenization.Bpe;

/// <summary>One merge rule as read: "a b" (split at the space) or the pair ["a", "b"].</summary>
internal readonly record struct MergeSource(string Text, int LeftLength, int RightStart)
{
    public ReadOnlySpan<char> Left => Text.AsSpan(0, LeftLength);
    public ReadOnlySpan<char> Right => Text.AsSpan(RightStart);

    public static MergeSource FromLine(string line, int index)
    {
        int sp = line.Length > 1 ? line.IndexOf(' ', 1) : -1;
        if (sp < 0) throw new TokenizerFormatException($"model.merges[{index}] \"{line}\" is not of the form \"a b\"");
        return new MergeSource(line, sp, sp + 1);
    }

    public static MergeSource FromPair(string left, string right) => new(left + right, left.Length, left.Length);
}

internal static class BpeModelReader
{
    /// <summary>Reads the model object at the reader (positioned on its StartObject).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (JsonDocument Options, Dictionary<string, int>? Vocab, List<MergeSource>? Merges) Read(ref Utf8JsonReader reader)
    {
        Dictionary<string, int>? vocab = null;
        List<MergeSource>? merges = null;
        using var options = new MemoryStream();
        using (var w = new Utf8JsonWriter(options))
        {
            w.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (name == "vocab" && reader.TokenType == JsonTokenType.StartObject) vocab = ReadVocab(ref reader);
                else if (name == "merges" && reader.TokenType == JsonTokenType.StartArray) merges = ReadMerges(ref reader);
                else
                {
                    w.WritePropertyName(name);
                    using JsonDocument value = JsonDocument.ParseValue(ref reader);
                    value.RootElement.WriteTo(w);
                }
            }
            w.WriteEndObject();
        }
        return (JsonDocument.Parse(options.ToArray()), vocab, merges);
    }

    private static Dictionary<string, int> ReadVocab(ref Utf8JsonReader reader)
    {
        var vocab = new Dictionary<string, int>(160_000, StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string token = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long id))
                throw new TokenizerFormatException($"model.vocab[\"{Clip(token)}\"] must be an integer id in [0, {TokenizerLimits.MaxId}]");
            TokenizerLimits.CheckId(id, $"model.vocab[\"{Clip(token)}\"]");
            vocab[token] = (int)id;
        }
        return vocab;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static List<MergeSource> ReadMerges(ref Utf8JsonReader reader)
    {
        var merges = new List<MergeSource>(150_000);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String) { merges.Add(MergeSource.FromLine(reader.GetString()!, merges.Count)); continue; }
            string? left = null, right = null;
            if (reader.TokenType == JsonTokenType.StartArray && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                left = reader.GetString();
                if (reader.Read() && reader.TokenType == JsonTokenType.String) right = reader.GetString();
                if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray) right = null;
            }
            if (left == null || right == null) throw new TokenizerFormatException($"model.merges[{merges.Count}] must be \"a b\" or [\"a\", \"b\"]");
            merges.Add(MergeSource.FromPair(left, right));
        }
        return merges;
    }
}
