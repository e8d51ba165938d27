// The V4 DSML tool-call block as a grammar, exactly as ChatRenderer writes it and CompletionParser
// reads it: "\n\n<｜DSML｜tool_calls>\n", one or more invokes joined by "\n", "\n</｜DSML｜tool_calls>".
// An invoke names one of the tools; its parameters follow the tool's JSON Schema in property order
// (string-typed ones raw with string="true", the others as JSON with string="false"), compiled
// strictly when the tool declares `strict`, leniently otherwise; a tool without properties takes
// free parameters.
using System.Text.Json;
using SharpSeek.Runtime.Constraints;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class DsmlGrammar
{
    private const string D = DsmlTokens.Dsml;
    /// <summary>What opens a call block (the parser's ToolCallsStart and the rest of its line).</summary>
    public const string Opener = DsmlTokens.ToolCallsStart + ">\n";
    public const int MaxCalls = 8;
    private const int MaxFreeParameters = 16, MaxNameLength = 64;

    /// <summary>
    /// The call block after <paramref name="consumed"/> (a prefix of <see cref="Opener"/> already
    /// generated, e.g. the trigger that started the constraint): calls of <paramref name="tools"/>, or only <paramref name="only"/>.
    /// </summary>
    public static GrammarNode CallBlock(IReadOnlyList<ToolDefinition> tools, string? only, ConstraintLimits limits, int maxCalls = MaxCalls, string consumed = "")
    {
        if (!Opener.StartsWith(consumed, StringComparison.Ordinal)) throw new ArgumentException("consumed must be a prefix of the call-block opener", nameof(consumed));
        var invokes = new List<GrammarNode>();
        for (int i = 0; i < tools.Count; i++)
            if (only is null || tools[i].Name == only) invokes.Add(Invoke(tools[i], $"tools[{i}].function.parameters", limits));
        GrammarNode call = Grammar.Choice(invokes.ToArray());
        return Grammar.Sequence(Grammar.Literal(Opener[consumed.Length..]),
            Grammar.Repeat(Grammar.Literal(""), Grammar.Literal($"\n</{D}tool_calls>"), Grammar.Literal("\n"), call, 1, maxCalls));
    }

    /// <summary>Whether the tool asks for strict arguments (`"strict": true` on the function).</summary>
    public static bool IsStrict(ToolDefinition tool) => tool.Function.TryGetProperty("strict", out JsonElement s) && s.ValueKind == JsonValueKind.True;

    private static GrammarNode Invoke(ToolDefinition tool, string path, ConstraintLimits limits)
    {
        bool strict = IsStrict(tool);
        GrammarNode parameters;
        if (tool.Function.TryGetProperty("parameters", out JsonElement schema) && schema.ValueKind == JsonValueKind.Object
            && schema.TryGetProperty("properties", out JsonElement props) && props.ValueKind == JsonValueKind.Object)
        {
            JsonSchemaCompiler compiler = JsonSchemaCompiler.For(schema, limits, strict);
            var required = new HashSet<string>();
            if (schema.TryGetProperty("required", out JsonElement req) && req.ValueKind == JsonValueKind.Array)
                required.UnionWith(req.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!));
            var entries = new List<GrammarNode>();
            var isRequired = new List<bool>();
            foreach (JsonProperty p in props.EnumerateObject())
            {
                entries.Add(Parameter(p.Name, p.Value, compiler, $"{path}.properties.{p.Name}", limits));
                isRequired.Add(required.Contains(p.Name));
            }
            parameters = Grammar.Members(Grammar.Literal(""), Grammar.Literal(""), Grammar.Literal("\n"), entries, isRequired);
        }
        else
        {
            GrammarNode any = JsonSchemaCompiler.For(default, limits, strict: false).AnyValue;
            GrammarNode free = Grammar.Sequence(Grammar.Literal($"<{D}parameter name=\""), Grammar.RawText(MaxNameLength, (byte)'"'), Grammar.Literal("\" string=\""),
                Grammar.Choice(Grammar.Sequence(Grammar.Literal("true\">"), Grammar.RawText(limits.MaxStringLength, (byte)'<')), Grammar.Sequence(Grammar.Literal("false\">"), any)),
                Grammar.Literal($"</{D}parameter>"));
            parameters = Grammar.Repeat(Grammar.Literal(""), Grammar.Literal(""), Grammar.Literal("\n"), free, 0, MaxFreeParameters);
        }
        return Grammar.Sequence(Grammar.Literal($"<{D}invoke name=\"{tool.Name}\">\n"), parameters, Grammar.Literal($"\n</{D}invoke>"));
    }

    private static GrammarNode Parameter(string name, JsonElement schema, JsonSchemaCompiler compiler, string path, ConstraintLimits limits)
    {
        GrammarNode value = JsonSchemaCompiler.IsStringSchema(schema, out IReadOnlyList<string>? values)
            ? Grammar.Sequence(Grammar.Literal("true\">"), values is null ? Grammar.RawText(limits.MaxStringLength, (byte)'<') : Grammar.Choice(values.Select(Grammar.Literal).ToArray()))
            : Grammar.Sequence(Grammar.Literal("false\">"), compiler.CompilePart(schema, path));
        return Grammar.Sequence(Grammar.Literal($"<{D}parameter name=\"{name}\" string=\""), value, Grammar.Literal($"</{D}parameter>"));
    }
}
