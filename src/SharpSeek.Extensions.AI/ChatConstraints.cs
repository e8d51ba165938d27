// What ChatOptions ask of the output, as the engine's logit processors (the Runtime's constraint
// grammars): ResponseFormat Json (with a schema: that schema, compiled leniently since .NET schema
// generators add keywords outside the strict subset; without: any JSON object) and a required tool
// (ToolMode RequireAny / RequireSpecific: the V4 call block, one call when AllowMultipleToolCalls is
// false), both after the reasoning in thinking mode. Also the response_format object the V4 template
// shows the model.
using System.Text.Json;
using Microsoft.Extensions.AI;
using SharpSeek.Runtime.Constraints;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Extensions.AI;

internal static class ChatConstraints
{
    /// <summary>The processors for one request, or null when the output is free.</summary>
    public static IReadOnlyList<ILogitProcessor>? For(ChatOptions? options, IReadOnlyList<ToolDefinition>? tools, ThinkingMode mode, Tokenizer tokenizer,
        Func<TokenVocabulary> vocabulary, ConstraintLimits limits)
    {
        int[] trigger = mode == ThinkingMode.Thinking ? tokenizer.Encode(DsmlTokens.ThinkEnd) : [];
        GrammarNode? grammar = null;
        if (tools is { Count: > 0 } && options?.ToolMode is RequiredChatToolMode required)
        {
            var schemas = tools.Select((t, i) => new ToolSchema(t.Name, t.Function.TryGetProperty("parameters", out JsonElement p) ? p : null, false, $"Tools[{i}]")).ToList();
            int maxCalls = options.AllowMultipleToolCalls == false ? 1 : ToolCallGrammar.MaxCalls;
            grammar = ToolCallGrammar.CallBlock(DsmlTokens.Dsml, schemas, required.RequiredFunctionName, limits, maxCalls);
        }
        else if (options?.ResponseFormat is ChatResponseFormatJson json)
            grammar = json.Schema is JsonElement schema ? JsonSchemaCompiler.Compile(schema, limits, strict: false) : JsonSchemaCompiler.AnyObject(limits);
        return grammar is null ? null : [new GrammarConstraint(grammar, vocabulary(), trigger)];
    }

    /// <summary>The OpenAI-style response_format the V4 template renders into the system prompt, or null.</summary>
    public static JsonElement? Format(ChatOptions? options) => options?.ResponseFormat switch
    {
        ChatResponseFormatJson { Schema: JsonElement schema } j => JsonSerializer.SerializeToElement(new
        {
            type = "json_schema", json_schema = new { name = j.SchemaName ?? "output", description = j.SchemaDescription, schema },
        }),
        ChatResponseFormatJson => JsonSerializer.SerializeToElement(new { type = "json_object" }),
        _ => null,
    };
}
