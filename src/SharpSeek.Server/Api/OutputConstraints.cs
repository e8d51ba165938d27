// What a chat request's output must match, compiled once per request into grammars and handed to
// the engine as a fresh GrammarConstraint per choice (each keeps its own match state):
// - tool_choice required / a named function: the DSML call block (the arguments follow each tool's
//   schema), right after the reasoning (thinking mode: after "</think>"; chat mode: at once);
// - response_format json_schema (strict or not) / json_object: the content is that JSON document;
// - tool_choice auto with strict tools: the model chooses freely, but once it opens a call block
//   ("\n\n<｜DSML｜") the call is constrained.
// A schema the grammar cannot express is a 400 naming its place in the request.
using System.Text.Json;
using SharpSeek.Runtime.Constraints;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class OutputConstraints
{
    private const string CallTrigger = "\n\n<" + DsmlTokens.Dsml;

    /// <summary>A factory of the request's logit processors (one set per choice), or null when the output is free.</summary>
    public static Func<IReadOnlyList<ILogitProcessor>>? For(ChatRequest req, ServingContext engine)
    {
        Tokenizer tokenizer = engine.RequireTokenizer("a constrained request");
        int[] afterReasoning = req.Mode == ThinkingMode.Thinking ? tokenizer.Encode(DsmlTokens.ThinkEnd) : [];
        ConstraintLimits limits = engine.Options.ConstraintLimits;
        int maxCalls = req.ParallelToolCalls ? ToolCallGrammar.MaxCalls : 1;
        (GrammarNode Grammar, int[] Trigger)? plan = null;
        if (req.Tools is { } tools && req.ToolChoice.Mode is ToolChoiceMode.Required or ToolChoiceMode.Function)
            plan = (Tools(() => ToolCallGrammar.CallBlock(DsmlTokens.Dsml, Schemas(tools), req.ToolChoice.Name, limits, maxCalls)), afterReasoning);
        else if (req.ResponseFormat is JsonElement rf)
        {
            try { plan = (ResponseFormat(rf, limits), afterReasoning); }
            catch (SchemaException e) { throw ApiError.BadRequest(e.Message, "response_format.json_schema.schema" + (e.Path.Length > 0 ? "." + e.Path : "")); }
        }
        else if (req.Tools is { } auto && auto.Any(IsStrict))
            plan = (Tools(() => ToolCallGrammar.CallBlock(DsmlTokens.Dsml, Schemas(auto), null, limits, maxCalls, CallTrigger)), tokenizer.Encode(CallTrigger));
        if (plan is not var (grammar, trigger)) return null;
        TokenVocabulary vocab = engine.ConstraintVocabulary;
        return () => [new GrammarConstraint(grammar, vocab, trigger)];
    }

    /// <summary>Whether the tool asks for strict arguments (`"strict": true` on the function).</summary>
    public static bool IsStrict(ToolDefinition tool) => tool.Function.TryGetProperty("strict", out JsonElement s) && s.ValueKind == JsonValueKind.True;

    private static List<ToolSchema> Schemas(IReadOnlyList<ToolDefinition> tools) => tools.Select((t, i) => new ToolSchema(t.Name,
        t.Function.TryGetProperty("parameters", out JsonElement p) ? p : null, IsStrict(t), $"tools[{i}].function.parameters")).ToList();

    private static GrammarNode Tools(Func<GrammarNode> build)
    {
        try { return build(); }
        catch (SchemaException e) { throw ApiError.BadRequest(e.Message, e.Path.StartsWith("tools[", StringComparison.Ordinal) ? e.Path : "tools"); }
    }

    // {"type": "json_object"} or {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}.
    private static GrammarNode ResponseFormat(JsonElement rf, ConstraintLimits limits)
    {
        if (RequestFields.String(rf, "type") == "json_object") return JsonSchemaCompiler.AnyObject(limits);
        if (!rf.TryGetProperty("json_schema", out JsonElement js) || js.ValueKind != JsonValueKind.Object)
            throw ApiError.BadRequest("response_format.json_schema must be an object {\"name\", \"schema\", \"strict\"}", "response_format.json_schema");
        if (!js.TryGetProperty("schema", out JsonElement schema) || schema.ValueKind != JsonValueKind.Object)
            throw ApiError.BadRequest("response_format.json_schema.schema must be a JSON Schema object", "response_format.json_schema.schema");
        bool strict = RequestFields.Bool(js, "strict") ?? false;
        return JsonSchemaCompiler.Compile(schema, limits, strict);
    }
}
