// Tool-call arguments between the OpenAI JSON-string form and DSML parameters, as encoding_dsv4.py
// does it: encode json.loads the arguments (non-JSON becomes one "arguments" string parameter),
// strings go in raw with string="true", other values as Python json.dumps with string="false";
// decode rebuilds the JSON string from (value, is_string) parameters.
using System.Text;
using System.Text.Json;
using SharpSeek.Tokenization.Json;

namespace SharpSeek.Tokenization.Chat;

public static class DsmlArguments
{
    /// <summary>The DSML parameter lines of a tool call (joined by newlines; empty for no arguments).</summary>
    public static string Encode(ToolCall call)
    {
        var lines = new List<string>();
        JsonDocument? doc = null;
        try { doc = JsonDocument.Parse(call.Arguments); }
        catch (JsonException) { doc = null; }
        if (doc == null)
        {
            lines.Add(Parameter("arguments", call.Arguments, true));
            return string.Join("\n", lines);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ChatFormatException($"tool call \"{call.Name}\": arguments must be a JSON object, got {doc.RootElement.ValueKind}");
            var keys = new List<string>();
            var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (!values.ContainsKey(p.Name)) keys.Add(p.Name);
                values[p.Name] = p.Value;
            }
            foreach (string k in keys)
            {
                JsonElement v = values[k];
                lines.Add(v.ValueKind == JsonValueKind.String ? Parameter(k, v.GetString()!, true) : Parameter(k, PythonJson.Dumps(v), false));
            }
        }
        return string.Join("\n", lines);
    }

    private static string Parameter(string name, string value, bool isString) =>
        $"<{DsmlTokens.Dsml}parameter name=\"{name}\" string=\"{(isString ? "true" : "false")}\">{value}</{DsmlTokens.Dsml}parameter>";

    /// <summary>decode_dsml_to_arguments: the arguments JSON string from parsed parameters, in order.</summary>
    public static string Decode(IReadOnlyList<(string Name, string Value, bool IsString)> parameters)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < parameters.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            var (name, value, isString) = parameters[i];
            sb.Append(PythonJson.Quote(name)).Append(": ").Append(isString ? PythonJson.Quote(value) : value);
        }
        return sb.Append('}').ToString();
    }
}
