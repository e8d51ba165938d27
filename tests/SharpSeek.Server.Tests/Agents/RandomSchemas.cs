// Random JSON Schemas in the strict subset (objects with required and additionalProperties: false,
// arrays, strings with maxLength or enum, numbers, integers, booleans, null, anyOf, $defs/$ref) and an
// independent validator for them: the property test checks constrained outputs with this code,
// not with the grammar that produced them.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpSeek.Server.Tests.Agents;

public static class RandomSchemas
{
    /// <summary>A root object (as OpenAI's strict mode requires) of random properties.</summary>
    public static JsonObject Schema(Random r)
    {
        var defs = new JsonObject();
        JsonObject root = Node(r, 0, defs, forceObject: true);
        if (defs.Count > 0) root["$defs"] = defs;
        return root;
    }

    private static JsonObject Node(Random r, int depth, JsonObject defs, bool forceObject = false)
    {
        int pick = forceObject ? 9 : r.Next(depth >= 2 ? 6 : 10);
        switch (pick)
        {
            case 0: return new JsonObject { ["type"] = "string", ["maxLength"] = r.Next(1, 10) };
            case 1: return new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(Enumerable.Range(0, r.Next(1, 4)).Select(i => (JsonNode)JsonValue.Create(Word(r) + i)!).ToArray()) };
            case 2: return new JsonObject { ["type"] = "integer" };
            case 3: return new JsonObject { ["type"] = "number" };
            case 4: return new JsonObject { ["type"] = "boolean" };
            case 5: return new JsonObject { ["type"] = new JsonArray("string", "null"), ["maxLength"] = 5 };
            case 6: return new JsonObject { ["type"] = "array", ["items"] = Node(r, depth + 1, defs), ["maxItems"] = r.Next(1, 4) };
            case 7: return new JsonObject { ["anyOf"] = new JsonArray(Node(r, depth + 1, defs), new JsonObject { ["type"] = "null" }) };
            case 8:
            {
                string name = "d" + defs.Count;
                defs[name] = null; // reserve the name before the definition adds its own
                defs[name] = Node(r, depth + 1, defs);
                return new JsonObject { ["$ref"] = "#/$defs/" + name };
            }
            default:
            {
                var props = new JsonObject();
                var required = new JsonArray();
                int n = r.Next(1, forceObject ? 5 : 4);
                for (int i = 0; i < n; i++)
                {
                    string key = Word(r) + i;
                    props[key] = Node(r, depth + 1, defs);
                    if (r.Next(4) > 0) required.Add(key);
                }
                return new JsonObject { ["type"] = "object", ["properties"] = props, ["required"] = required, ["additionalProperties"] = false };
            }
        }
    }

    private static string Word(Random r) => new[] { "name", "city", "total", "ok", "items", "é", "a\"b", "unit" }[r.Next(8)];

    /// <summary>Null when <paramref name="v"/> is valid against <paramref name="s"/>, else what is wrong.</summary>
    public static string? Validate(JsonElement v, JsonElement s, JsonElement root)
    {
        if (s.TryGetProperty("$ref", out JsonElement r))
            return Validate(v, root.GetProperty("$defs").GetProperty(r.GetString()!["#/$defs/".Length..]), root);
        if (s.TryGetProperty("anyOf", out JsonElement any))
            return any.EnumerateArray().Any(a => Validate(v, a, root) is null) ? null : "no anyOf branch matches";
        if (s.TryGetProperty("enum", out JsonElement e) && !e.EnumerateArray().Any(x => JsonElement.DeepEquals(x, v))) return $"{v} is not in the enum";
        if (!s.TryGetProperty("type", out JsonElement type)) return null;
        string[] types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!];
        string? error = $"{v.ValueKind} is not {string.Join("|", types)}";
        foreach (string t in types)
        {
            string? e2 = t switch
            {
                "string" when v.ValueKind == JsonValueKind.String =>
                    s.TryGetProperty("maxLength", out JsonElement ml) && v.GetString()!.EnumerateRunes().Count() > ml.GetInt32() ? "string too long" : null,
                "integer" when v.ValueKind == JsonValueKind.Number => v.TryGetInt64(out _) ? null : $"{v} is not an integer",
                "number" when v.ValueKind == JsonValueKind.Number => null,
                "boolean" when v.ValueKind is JsonValueKind.True or JsonValueKind.False => null,
                "null" when v.ValueKind == JsonValueKind.Null => null,
                "array" when v.ValueKind == JsonValueKind.Array => Array(v, s, root),
                "object" when v.ValueKind == JsonValueKind.Object => Object(v, s, root),
                _ => error,
            };
            if (e2 is null) return null;
            error = e2;
        }
        return error;
    }

    private static string? Array(JsonElement v, JsonElement s, JsonElement root)
    {
        if (s.TryGetProperty("maxItems", out JsonElement mi) && v.GetArrayLength() > mi.GetInt32()) return "too many items";
        foreach (JsonElement item in v.EnumerateArray())
            if (Validate(item, s.GetProperty("items"), root) is string e) return "item: " + e;
        return null;
    }

    private static string? Object(JsonElement v, JsonElement s, JsonElement root)
    {
        JsonElement props = s.GetProperty("properties");
        var seen = new HashSet<string>();
        foreach (JsonProperty p in v.EnumerateObject())
        {
            if (!seen.Add(p.Name)) return $"duplicate key {p.Name}";
            if (!props.TryGetProperty(p.Name, out JsonElement ps)) return $"additional property {p.Name}";
            if (Validate(p.Value, ps, root) is string e) return $"{p.Name}: {e}";
        }
        foreach (JsonElement req in s.GetProperty("required").EnumerateArray())
            if (!seen.Contains(req.GetString()!)) return $"missing required {req.GetString()}";
        return null;
    }
}
