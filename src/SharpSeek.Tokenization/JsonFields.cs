// Small helpers for reading tokenizer.json nodes with errors that name the offending field.
using System.Text.Json;

namespace SharpSeek.Tokenization;

internal static class JsonFields
{
    public static JsonElement Required(JsonElement node, string name, string path)
    {
        if (node.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException($"{path} must be a JSON object");
        if (!node.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            throw new TokenizerFormatException($"{path}.{name} is missing");
        return value;
    }

    public static string RequiredString(JsonElement node, string name, string path)
    {
        JsonElement v = Required(node, name, path);
        if (v.ValueKind != JsonValueKind.String) throw new TokenizerFormatException($"{path}.{name} must be a string");
        return v.GetString()!;
    }

    public static JsonElement.ArrayEnumerator RequiredArray(JsonElement node, string name, string path)
    {
        JsonElement v = Required(node, name, path);
        if (v.ValueKind != JsonValueKind.Array) throw new TokenizerFormatException($"{path}.{name} must be an array");
        return v.EnumerateArray();
    }

    public static bool OptionalBool(JsonElement node, string name, bool fallback)
    {
        if (!node.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFormatException($"field {name} must be true or false"),
        };
    }

    public static string? OptionalString(JsonElement node, string name)
    {
        if (!node.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new TokenizerFormatException($"field {name} must be a string or null");
    }
}
