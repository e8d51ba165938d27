// JSON Schema -> grammar: the subset OpenAI's strict mode accepts (type incl. a list of types,
// objects with properties / required / additionalProperties: false, arrays with items, min/maxItems,
// strings with min/maxLength, numbers, integers, booleans, null, enum, const, anyOf, $defs and
// definitions with $ref, recursive ones included) compiled to byte-level nodes. An object's
// declared properties come in schema order (required ones never skipped); a schema with no
// constraint, or an object without properties that allows others, is any JSON value up to
// Limits.MaxDepth. Output is compact JSON, a single space allowed after ':' and ','. Strict: a
// keyword outside the subset (pattern, format, minimum, oneOf, ...) is an error naming it and its
// path; lenient (non-strict tools): such keywords are ignored.
using System.Text.Json;

namespace SharpSeek.Runtime.Constraints;

/// <summary>A schema the compiler cannot turn into a grammar; Path locates the offending part ("properties.a.items").</summary>
public sealed class SchemaException(string message, string path) : Exception(message)
{
    public string Path { get; } = path;
}

/// <summary>Bounds that keep every constrained document finite.</summary>
public sealed record ConstraintLimits
{
    public int MaxStringLength { get; init; } = 256;
    public int MaxDigits { get; init; } = 15;
    public int MaxFractionDigits { get; init; } = 8;
    public int MaxArrayItems { get; init; } = 64;
    /// <summary>Properties of an object whose keys are free (json_object mode).</summary>
    public int MaxFreeProperties { get; init; } = 32;
    /// <summary>Nesting of unconstrained values (json_object mode, schemas without type).</summary>
    public int MaxDepth { get; init; } = 4;
}

public sealed class JsonSchemaCompiler
{
    private static readonly HashSet<string> Annotations = ["description", "title", "default", "examples", "$schema", "$id", "$comment",
        "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict", "name", "nullable"];
    private static readonly HashSet<string> Supported = ["type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "minLength", "maxLength", "enum", "const", "anyOf", "$ref"];

    private readonly ConstraintLimits _limits;
    private readonly bool _strict;
    private readonly JsonElement _root;
    private readonly Dictionary<string, RefNode> _refs = new();
    private readonly GrammarNode[] _any;
    private readonly GrammarNode _colon, _comma;

    private JsonSchemaCompiler(JsonElement root, ConstraintLimits limits, bool strict)
    {
        _root = root; _limits = limits; _strict = strict;
        _colon = Grammar.Choice(Grammar.Literal(":"), Grammar.Literal(": "));
        _comma = Grammar.Choice(Grammar.Literal(","), Grammar.Literal(", "));
        _any = new GrammarNode[limits.MaxDepth + 1];
        for (int d = 0; d <= limits.MaxDepth; d++)
        {
            var scalars = new List<GrammarNode> { String(0, limits.MaxStringLength), Number(false), Grammar.Literal("true"), Grammar.Literal("false"), Grammar.Literal("null") };
            if (d > 0) { scalars.Add(FreeObject(d - 1)); scalars.Add(Array(_any[d - 1], 0, limits.MaxArrayItems)); }
            _any[d] = Grammar.Choice(scalars.ToArray());
        }
    }

    /// <summary>The grammar of documents valid against <paramref name="schema"/>.</summary>
    public static GrammarNode Compile(JsonElement schema, ConstraintLimits? limits = null, bool strict = true) =>
        new JsonSchemaCompiler(schema, limits ?? new ConstraintLimits(), strict).Node(schema, "");

    /// <summary>A compiler for parts of <paramref name="root"/> (a tool's parameters, one property at a time); $ref resolves against root.</summary>
    public static JsonSchemaCompiler For(JsonElement root, ConstraintLimits? limits = null, bool strict = true) =>
        new(root, limits ?? new ConstraintLimits(), strict);

    /// <summary>The grammar of <paramref name="schema"/>, a part of this compiler's root at <paramref name="path"/> (for messages).</summary>
    public GrammarNode CompilePart(JsonElement schema, string path) => Node(schema, path);

    /// <summary>Any JSON value up to Limits.MaxDepth.</summary>
    public GrammarNode AnyValue => _any[_limits.MaxDepth];

    /// <summary>json_object mode: any JSON object.</summary>
    public static GrammarNode AnyObject(ConstraintLimits? limits = null)
    {
        var c = new JsonSchemaCompiler(default, limits ?? new ConstraintLimits(), false);
        return c.FreeObject(c._limits.MaxDepth);
    }

    /// <summary>Whether <paramref name="schema"/> only allows strings (type string, or an enum/const of strings); enum: the allowed values, else null.</summary>
    public static bool IsStringSchema(JsonElement schema, out IReadOnlyList<string>? values)
    {
        values = null;
        if (schema.ValueKind != JsonValueKind.Object) return false;
        if (schema.TryGetProperty("enum", out JsonElement e) && e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0
            && e.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String))
        { values = e.EnumerateArray().Select(v => v.GetString()!).ToList(); return true; }
        if (schema.TryGetProperty("const", out JsonElement c) && c.ValueKind == JsonValueKind.String) { values = [c.GetString()!]; return true; }
        return schema.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString() == "string"
            && !schema.TryGetProperty("anyOf", out _) && !schema.TryGetProperty("$ref", out _);
    }

    private GrammarNode Node(JsonElement s, string path)
    {
        if (s.ValueKind == JsonValueKind.True) return _any[_limits.MaxDepth];
        if (s.ValueKind != JsonValueKind.Object) throw new SchemaException($"schema at '{Where(path)}' must be an object or true", path);
        foreach (JsonProperty p in s.EnumerateObject())
            if (!Supported.Contains(p.Name) && !Annotations.Contains(p.Name) && _strict)
                throw new SchemaException($"schema keyword '{p.Name}' at '{Where(path)}' is not supported in strict mode (supported: {string.Join(", ", Supported)})", Join(path, p.Name));

        if (s.TryGetProperty("$ref", out JsonElement r)) return Ref(r, path);
        if (s.TryGetProperty("const", out JsonElement c)) return Grammar.Literal(Compact(c));
        if (s.TryGetProperty("enum", out JsonElement e))
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw new SchemaException($"enum at '{Where(path)}' must be a non-empty array", Join(path, "enum"));
            return Grammar.Choice(e.EnumerateArray().Select(v => Grammar.Literal(Compact(v))).ToArray());
        }
        if (s.TryGetProperty("anyOf", out JsonElement any))
        {
            if (any.ValueKind != JsonValueKind.Array || any.GetArrayLength() == 0) throw new SchemaException($"anyOf at '{Where(path)}' must be a non-empty array", Join(path, "anyOf"));
            return Grammar.Choice(any.EnumerateArray().Select((a, i) => Node(a, Join(path, $"anyOf[{i}]"))).ToArray());
        }
        if (!s.TryGetProperty("type", out JsonElement type)) return _any[_limits.MaxDepth];
        if (type.ValueKind == JsonValueKind.Array)
            return Grammar.Choice(type.EnumerateArray().Select(t => Typed(s, TypeName(t, path), path)).ToArray());
        return Typed(s, TypeName(type, path), path);
    }

    private static string TypeName(JsonElement t, string path) => t.ValueKind == JsonValueKind.String ? t.GetString()!
        : throw new SchemaException($"type at '{Where(path)}' must be a string or an array of strings", Join(path, "type"));

    private GrammarNode Typed(JsonElement s, string type, string path) => type switch
    {
        "string" => String(Int(s, "minLength", path, 0), Math.Min(Int(s, "maxLength", path, _limits.MaxStringLength), _limits.MaxStringLength)),
        "number" => Number(false),
        "integer" => Number(true),
        "boolean" => Grammar.Choice(Grammar.Literal("true"), Grammar.Literal("false")),
        "null" => Grammar.Literal("null"),
        "object" => Object(s, path),
        "array" => Array(s.TryGetProperty("items", out JsonElement items) ? Node(items, Join(path, "items")) : _any[_limits.MaxDepth - 1 < 0 ? 0 : _limits.MaxDepth - 1],
            Int(s, "minItems", path, 0), Math.Min(Int(s, "maxItems", path, _limits.MaxArrayItems), _limits.MaxArrayItems)),
        _ => throw new SchemaException($"type '{type}' at '{Where(path)}' is not string, number, integer, boolean, null, object or array", Join(path, "type")),
    };

    private GrammarNode Object(JsonElement s, string path)
    {
        bool hasProps = s.TryGetProperty("properties", out JsonElement props);
        if (hasProps && props.ValueKind != JsonValueKind.Object) throw new SchemaException($"properties at '{Where(path)}' must be an object", Join(path, "properties"));
        bool closed = s.TryGetProperty("additionalProperties", out JsonElement ap) && ap.ValueKind == JsonValueKind.False;
        if (!hasProps && !closed) return FreeObject(_limits.MaxDepth - 1 < 0 ? 0 : _limits.MaxDepth - 1);
        var required = new HashSet<string>();
        if (s.TryGetProperty("required", out JsonElement req))
        {
            if (req.ValueKind != JsonValueKind.Array || req.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                throw new SchemaException($"required at '{Where(path)}' must be an array of property names", Join(path, "required"));
            required.UnionWith(req.EnumerateArray().Select(x => x.GetString()!));
        }
        var entries = new List<GrammarNode>();
        var isRequired = new List<bool>();
        if (hasProps)
            foreach (JsonProperty p in props.EnumerateObject())
            {
                entries.Add(Grammar.Sequence(Grammar.Literal(JsonSerializer.Serialize(p.Name, Relaxed)), _colon, Node(p.Value, Join(Join(path, "properties"), p.Name))));
                isRequired.Add(required.Remove(p.Name));
            }
        if (required.Count > 0) throw new SchemaException($"required names '{required.First()}' at '{Where(path)}', which is not among the properties", Join(path, "required"));
        return Grammar.Members(Grammar.Literal("{"), Grammar.Literal("}"), _comma, entries, isRequired);
    }

    private GrammarNode Ref(JsonElement r, string path)
    {
        string target = r.ValueKind == JsonValueKind.String ? r.GetString()! : throw new SchemaException($"$ref at '{Where(path)}' must be a string", Join(path, "$ref"));
        if (_refs.TryGetValue(target, out RefNode? known)) return known;
        JsonElement resolved = _root;
        if (target != "#")
        {
            string[] parts = target.StartsWith("#/", StringComparison.Ordinal) ? target[2..].Split('/') : [];
            if (parts.Length == 0) throw new SchemaException($"$ref '{target}' at '{Where(path)}' is not a local reference (#/$defs/NAME)", Join(path, "$ref"));
            foreach (string raw in parts)
            {
                string part = raw.Replace("~1", "/").Replace("~0", "~");
                if (resolved.ValueKind != JsonValueKind.Object || !resolved.TryGetProperty(part, out resolved))
                    throw new SchemaException($"$ref '{target}' at '{Where(path)}' points to nothing", Join(path, "$ref"));
            }
        }
        var node = new RefNode();
        _refs[target] = node;
        node.Target = Node(resolved, target);
        for (GrammarNode? t = node.Target; t is RefNode chain; t = chain.Target)
            if (ReferenceEquals(chain, node)) throw new SchemaException($"$ref '{target}' refers to itself without any content between", Join(path, "$ref"));
        return node;
    }

    private GrammarNode String(int min, int max)
    {
        if (min > max) throw new SchemaException($"minLength {min} exceeds the longest string allowed ({max})", "minLength");
        return Grammar.JsonString(min, max);
    }

    private GrammarNode Number(bool integer) => Grammar.JsonNumber(integer, _limits.MaxDigits, _limits.MaxFractionDigits);

    private GrammarNode Array(GrammarNode item, int min, int max)
    {
        if (min > max) throw new SchemaException($"minItems {min} exceeds maxItems {max}", "minItems");
        return Grammar.Repeat(Grammar.Literal("["), Grammar.Literal("]"), _comma, item, min, max);
    }

    private GrammarNode FreeObject(int depth) => Grammar.Repeat(Grammar.Literal("{"), Grammar.Literal("}"), _comma,
        Grammar.Sequence(String(0, _limits.MaxStringLength), _colon, _any[depth]), 0, _limits.MaxFreeProperties);

    private static int Int(JsonElement s, string key, string path, int fallback)
    {
        if (!s.TryGetProperty(key, out JsonElement v)) return fallback;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= 0 ? i
            : throw new SchemaException($"{key} at '{Where(path)}' must be a non-negative integer", Join(path, key));
    }

    // Compact JSON with only the escapes JSON requires (the model writes "é" and "<", not \u00e9).
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static string Compact(JsonElement v) => JsonSerializer.Serialize(v, Relaxed);
    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;
    private static string Where(string path) => path.Length == 0 ? "(root)" : path;
}
