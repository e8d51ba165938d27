// Microsoft.Extensions.AI messages and options <-> the V4 chat data model: text, reasoning,
// function calls and results, tool declarations, sampling options and thinking mode.
using System.Text.Json;
using Microsoft.Extensions.AI;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization.Chat;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using AiRole = Microsoft.Extensions.AI.ChatRole;
using V4Message = SharpSeek.Tokenization.Chat.ChatMessage;
using V4Role = SharpSeek.Tokenization.Chat.ChatRole;

namespace SharpSeek.Extensions.AI;

internal static class MessageMapping
{
    /// <param name="images">Receives the image DataContent of user messages in prompt order; each leaves ImagePlaceholder.Marker in its message's text.</param>
    public static List<V4Message> ToV4(IEnumerable<AiMessage> messages, string? instructions, List<DataContent>? images = null)
    {
        var result = new List<V4Message>();
        if (!string.IsNullOrEmpty(instructions)) result.Add(V4Message.System(instructions));
        foreach (AiMessage m in messages)
        {
            // Images are read on user messages (never silently dropped); image URLs are not fetched.
            if (m.Contents.OfType<UriContent>().FirstOrDefault(u => u.HasTopLevelMediaType("image")) is { } uri)
                throw new NotSupportedException($"image content by URL ({uri.Uri}) is not fetched (nothing is downloaded): send the image bytes as DataContent");
            bool hasImage = m.Contents.OfType<DataContent>().Any(d => d.HasTopLevelMediaType("image"));
            if (hasImage && (m.Role != AiRole.User || images is null))
                throw new NotSupportedException($"image content is read on user messages only (found on a '{m.Role}' message)");
            var sb = new System.Text.StringBuilder();
            foreach (AIContent c in m.Contents)
            {
                if (c is TextContent t) sb.Append(t.Text);
                else if (c is DataContent d && d.HasTopLevelMediaType("image")) { sb.Append(ImagePlaceholder.Marker); images!.Add(d); }
            }
            string text = sb.ToString();
            if (m.Role == AiRole.System) result.Add(V4Message.System(text));
            else if (m.Role == AiRole.User) result.Add(V4Message.User(text));
            else if (m.Role == AiRole.Assistant)
            {
                string reasoning = string.Concat(m.Contents.OfType<TextReasoningContent>().Select(t => t.Text));
                var calls = m.Contents.OfType<FunctionCallContent>()
                    .Select(c => new ToolCall(c.Name, JsonSerializer.Serialize(c.Arguments ?? new Dictionary<string, object?>()), c.CallId)).ToList();
                result.Add(V4Message.Assistant(text, reasoning.Length > 0 ? reasoning : null, calls.Count > 0 ? calls : null));
            }
            else if (m.Role == AiRole.Tool)
            {
                foreach (FunctionResultContent r in m.Contents.OfType<FunctionResultContent>())
                    result.Add(V4Message.ToolResult(r.CallId, ResultText(r.Result)));
            }
            else throw new NotSupportedException($"chat role '{m.Role}' is not supported by the V4 template");
        }
        return result;
    }

    public static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement e when e.ValueKind == JsonValueKind.String => e.GetString()!,
        _ => JsonSerializer.Serialize(result),
    };

    public static IReadOnlyList<ToolDefinition>? Tools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || options.ToolMode is NoneChatToolMode) return null;
        var defs = new List<ToolDefinition>();
        foreach (AIFunctionDeclaration f in tools.OfType<AIFunctionDeclaration>())
        {
            var function = new Dictionary<string, object?> { ["name"] = f.Name, ["description"] = f.Description, ["parameters"] = f.JsonSchema };
            defs.Add(new ToolDefinition(JsonSerializer.SerializeToElement(function)));
        }
        return defs.Count > 0 ? defs : null;
    }

    /// <param name="vocabLimit">Never sample ids the tokenizer cannot decode (an embedding padded past the vocabulary).</param>
    public static SamplingOptions Sampling(ChatOptions? options, float defaultTemperature, int? vocabLimit = null) => new()
    {
        VocabLimit = vocabLimit,
        Temperature = options?.Temperature ?? defaultTemperature,
        TopP = options?.TopP ?? 1,
        TopK = options?.TopK ?? 0,
        PresencePenalty = options?.PresencePenalty ?? 0,
        FrequencyPenalty = options?.FrequencyPenalty ?? 0,
        Seed = options?.Seed is long s ? unchecked((ulong)s) : null,
    };

    public static (ThinkingMode Mode, Tokenization.Chat.ReasoningEffort Effort) Thinking(ChatOptions? options, ThinkingMode defaultMode) =>
        options?.Reasoning?.Effort switch
        {
            null => (defaultMode, Tokenization.Chat.ReasoningEffort.Default),
            Microsoft.Extensions.AI.ReasoningEffort.None => (ThinkingMode.Chat, Tokenization.Chat.ReasoningEffort.Default),
            Microsoft.Extensions.AI.ReasoningEffort.High => (ThinkingMode.Thinking, Tokenization.Chat.ReasoningEffort.High),
            Microsoft.Extensions.AI.ReasoningEffort.ExtraHigh => (ThinkingMode.Thinking, Tokenization.Chat.ReasoningEffort.Max),
            _ => (ThinkingMode.Thinking, Tokenization.Chat.ReasoningEffort.Default),
        };

    public static FunctionCallContent ToFunctionCall(ParsedToolCall call, string callId)
    {
        IDictionary<string, object?>? args;
        try { args = JsonSerializer.Deserialize<Dictionary<string, object?>>(call.Arguments); }
        catch (JsonException) { args = new Dictionary<string, object?> { ["_raw"] = call.Arguments }; }
        return new FunctionCallContent(callId, call.Name, args);
    }

    public static ChatFinishReason Finish(Runtime.Generation.FinishReason reason, bool toolCalls) =>
        toolCalls ? ChatFinishReason.ToolCalls : reason switch
        {
            Runtime.Generation.FinishReason.MaxTokens or Runtime.Generation.FinishReason.ContextLimit => ChatFinishReason.Length,
            _ => ChatFinishReason.Stop,
        };
}
