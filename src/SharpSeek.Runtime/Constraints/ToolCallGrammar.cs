// The V4 tool-call block as a grammar, exactly as the chat template writes it and the completion
// parser reads it (Tokenization's ChatRenderer / CompletionParser; the front end passes the marker,
// DsmlTokens.Dsml, as Runtime does not see the tokenizer project): "\n\n<M tool_calls>\n", one or
// more invokes joined by "\n", "\n</M tool_calls>". An invoke names one of the tools; its
// parameters follow the tool's JSON Schema in property order (string-typed ones raw with
// string="true", the others as JSON with string="false"), compiled strictly for a strict tool,
// leniently otherwise; a tool without properties takes free parameters. Used by every front end
// (server, IChatClient) for tool_choice required / a named tool and for strict tools.
using System.Text.Json;

namespace SharpSeek.Runtime.Constraints;

/// <summary>A tool as the grammar needs it: name, parameters schema, strict flag, and where it sits in the request (error paths).</summary>
public sealed record ToolSchema(string Name, JsonElement? Parameters, bool Strict, string Path);

public static class ToolCallGrammar
{
    public const int MaxCalls = 8;
    private const int MaxFreeParameters = 16, MaxNameLength = 64;

    /// <summary>What opens a call block with marker <paramref name="dsml"/>.</summary>
    public static string Opener(string dsml) => "\n\n<" + dsml + "tool_calls>\n";

    /// <summary>
    /// The call block after <paramref name="consumed"/> (a prefix of <see cref="Opener"/> already
    /// generated, e.g. the trigger that started the constraint): calls of <paramref name="tools"/>, or only <paramref name="only"/>.
    /// </summary>
    public static GrammarNode CallBlock(string dsml, IReadOnlyList<ToolSchema> tools, string? only, ConstraintLimits limits, int maxCalls = MaxCalls, string consumed = "")
    {
        string opener = Opener(dsml);
        if (!opener.StartsWith(consumed, StringComparison.Ordinal)) throw new ArgumentException("consumed must be a prefix of the call-block opener", nameof(consumed));
        var invokes = new List<GrammarNode>();
        foreach (ToolSchema tool in tools)
            if (only is null || tool.Name == only) invokes.Add(Invoke(dsml, tool, limits));
        GrammarNode call = Grammar.Choice(invokes.ToArray());
        return Grammar.Sequence(Grammar.Literal(opener[consumed.Length..]),
            Grammar.Repeat(Grammar.Literal(""), Grammar.Literal($"\n</{dsml}tool_calls>"), Grammar.Literal("\n"), call, 1, maxCalls));
    }

    private static GrammarNode Invoke(string dsml, ToolSchema tool, ConstraintLimits limits)
    {
        bool strict = tool.Strict;
        string path = tool.Path;
        GrammarNode parameters;
        if (tool.Parameters is JsonElement schema && schema.ValueKind == JsonValueKind.Object
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
                entries.Add(Parameter(dsml, p.Name, p.Value, compiler, $"{path}.properties.{p.Name}", limits));
                isRequired.Add(required.Contains(p.Name));
            }
            parameters = Grammar.Members(Grammar.Literal(""), Grammar.Literal(""), Grammar.Literal("\n"), entries, isRequired);
        }
        else
        {
            GrammarNode any = JsonSchemaCompiler.For(default, limits, strict: false).AnyValue;
            GrammarNode free = Grammar.Sequence(Grammar.Literal($"<{dsml}parameter name=\""), Grammar.RawText(MaxNameLength, (byte)'"'), Grammar.Literal("\" string=\""),
                Grammar.Choice(Grammar.Sequence(Grammar.Literal("true\">"), Grammar.RawText(limits.MaxStringLength, (byte)'<')), Grammar.Sequence(Grammar.Literal("false\">"), any)),
                Grammar.Literal($"</{dsml}parameter>"));
            parameters = Grammar.Repeat(Grammar.Literal(""), Grammar.Literal(""), Grammar.Literal("\n"), free, 0, MaxFreeParameters);
        }
        return Grammar.Sequence(Grammar.Literal($"<{dsml}invoke name=\"{tool.Name}\">\n"), parameters, Grammar.Literal($"\n</{dsml}invoke>"));
    }

    private static GrammarNode Parameter(string dsml, string name, JsonElement schema, JsonSchemaCompiler compiler, string path, ConstraintLimits limits)
    {
        GrammarNode value = JsonSchemaCompiler.IsStringSchema(schema, out IReadOnlyList<string>? values)
            ? Grammar.Sequence(Grammar.Literal("true\">"), values is null ? Grammar.RawText(limits.MaxStringLength, (byte)'<') : Grammar.Choice(values.Select(Grammar.Literal).ToArray()))
            : Grammar.Sequence(Grammar.Literal("false\">"), compiler.CompilePart(schema, path));
        return Grammar.Sequence(Grammar.Literal($"<{dsml}parameter name=\"{name}\" string=\""), value, Grammar.Literal($"</{dsml}parameter>"));
    }
}
