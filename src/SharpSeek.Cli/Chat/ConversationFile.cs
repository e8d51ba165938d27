// /save and /load: a conversation as a JSON array of messages in the chat encoder's form
// ({role, content, reasoning_content}), read back with ChatMessageJson so malformed files get the
// tokenizer library's field-naming errors.
using System.Text.Json;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Cli.Chat;

public static class ConversationFile
{
    public static void Save(string path, IReadOnlyList<ChatMessage> messages)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            foreach (ChatMessage m in messages)
            {
                w.WriteStartObject();
                w.WriteString("role", Role(m.Role));
                if (m.Content is null) w.WriteNull("content"); else w.WriteString("content", m.Content);
                if (!string.IsNullOrEmpty(m.ReasoningContent)) w.WriteString("reasoning_content", m.ReasoningContent);
                if (m.ToolCalls is { Count: > 0 })
                {
                    w.WriteStartArray("tool_calls");
                    foreach (ToolCall c in m.ToolCalls)
                    {
                        w.WriteStartObject();
                        if (c.Id is not null) w.WriteString("id", c.Id);
                        w.WriteString("type", "function");
                        w.WriteStartObject("function");
                        w.WriteString("name", c.Name);
                        w.WriteString("arguments", c.Arguments);
                        w.WriteEndObject();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                if (m.ToolCallId is not null) w.WriteString("tool_call_id", m.ToolCallId);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        try { File.WriteAllBytes(path, stream.ToArray()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot write '{path}': {e.Message}"); }
    }

    public static IReadOnlyList<ChatMessage> Load(string path)
    {
        string json = TextInput.ReadFile(path, "conversation file");
        try { return ChatMessageJson.Parse(json); }
        catch (ChatFormatException e) { throw new CliException($"{path}: {e.Message}"); }
    }

    private static string Role(ChatRole r) => r switch
    {
        ChatRole.System => "system",
        ChatRole.Developer => "developer",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        ChatRole.Tool => "tool",
        _ => "latest_reminder",
    };
}
