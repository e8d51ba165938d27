// Places request-level tools and response_format where the V4 template expects them: on the
// system message (one is inserted at the start when the conversation has none).
using System.Text.Json;

namespace SharpSeek.Tokenization.Chat;

public static class PromptComposer
{
    public static IReadOnlyList<ChatMessage> WithToolsAndFormat(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, JsonElement? responseFormat)
    {
        bool hasTools = tools is { Count: > 0 };
        if (!hasTools && responseFormat is null) return messages;
        var list = messages.ToList();
        int system = list.FindIndex(m => m.Role == ChatRole.System);
        if (system < 0) { list.Insert(0, ChatMessage.System("")); system = 0; }
        list[system] = list[system] with
        {
            Tools = hasTools ? tools : list[system].Tools,
            ResponseFormat = responseFormat ?? list[system].ResponseFormat,
        };
        return list;
    }
}
