// Reads chat messages from the OpenAI-like JSON form (the shape of chat_cases.json `messages`):
// an array of {role, content, reasoning_content, tool_calls, tool_call_id, tools, response_format,
// task, wo_eos, ...}, or an object with a "messages" array. Rejects unknown roles and missing or
// mistyped fields with a message naming the field.
using System.Text.Json;

namespace SharpSeek.Tokenization.Chat;

/// <summary>Malformed chat input (messages JSON, options) or a completion that does not parse.</summary>
public sealed class ChatFormatException(string message) : FormatException(message);

public static class ChatMessageJson
{
    public static IReadOnlyList<ChatMessage> Parse(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new ChatFormatException($"messages file is not valid JSON: {e.Message}"); }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out JsonElement inner)) root = inner;
            return ParseArray(root, "messages");
        }
    }

    public static IReadOnlyList<ChatMessage> ParseArray(JsonElement array, string path)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new ChatFormatException($"{path} must be a JSON array of messages");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (JsonElement m in array.EnumerateArray()) list.Add(ParseMessage(m, $"{path}[{i++}]"));
        return list;
    }

    public static ChatMessage ParseMessage(JsonElement m, string path)
    {
        if (m.ValueKind != JsonValueKind.Object) throw new ChatFormatException($"{path} must be an object");
        if (!m.TryGetProperty("role", out JsonElement roleNode)) throw new ChatFormatException($"{path}.role is missing");
        string role = roleNode.ValueKind == JsonValueKind.String ? roleNode.GetString()! : throw new ChatFormatException($"{path}.role must be a string");
        ChatRole r = role switch
        {
            "system" => ChatRole.System,
            "developer" => ChatRole.Developer,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            "latest_reminder" => ChatRole.LatestReminder,
            _ => throw new ChatFormatException($"{path}.role \"{role}\" is unknown (expected system, developer, user, assistant, tool or latest_reminder)"),
        };
        string? content = null;
        IReadOnlyList<ContentPart>? parts = null;
        if (m.TryGetProperty("content", out JsonElement c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind == JsonValueKind.String) content = c.GetString();
            else if (c.ValueKind == JsonValueKind.Array && r == ChatRole.Tool) parts = ParseParts(c, path + ".content");
            else throw new ChatFormatException($"{path}.content must be a string{(r == ChatRole.Tool ? " or a list of content blocks" : "")}");
        }
        if (r == ChatRole.Tool && content == null && parts == null) throw new ChatFormatException($"{path}.content is missing (a tool message needs its result)");
        if (r == ChatRole.Developer && string.IsNullOrEmpty(content)) throw new ChatFormatException($"{path}.content is missing (a developer message needs content)");
        if (r == ChatRole.LatestReminder && content == null)
            throw new ChatFormatException($"{path}.content is missing");
        return new ChatMessage(r, content)
        {
            Parts = parts,
            ReasoningContent = OptString(m, "reasoning_content", path),
            ToolCallId = OptString(m, "tool_call_id", path),
            Name = OptString(m, "name", path),
            ToolCalls = m.TryGetProperty("tool_calls", out JsonElement tc) && tc.ValueKind != JsonValueKind.Null ? ParseToolCalls(tc, path + ".tool_calls") : null,
            Tools = m.TryGetProperty("tools", out JsonElement tools) && tools.ValueKind != JsonValueKind.Null ? ParseTools(tools, path + ".tools") : null,
            ResponseFormat = m.TryGetProperty("response_format", out JsonElement rf) && rf.ValueKind != JsonValueKind.Null ? rf.Clone() : null,
            Task = ParseTask(m, path),
            WithoutEos = m.TryGetProperty("wo_eos", out JsonElement wo) && wo.ValueKind == JsonValueKind.True,
        };
    }

    private static string? OptString(JsonElement m, string name, string path)
    {
        if (!m.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new ChatFormatException($"{path}.{name} must be a string");
    }

    private static ChatTask? ParseTask(JsonElement m, string path)
    {
        string? task = OptString(m, "task", path);
        return task switch
        {
            null => null,
            "action" => ChatTask.Action,
            "query" => ChatTask.Query,
            "authority" => ChatTask.Authority,
            "domain" => ChatTask.Domain,
            "title" => ChatTask.Title,
            "read_url" => ChatTask.ReadUrl,
            _ => throw new ChatFormatException($"{path}.task \"{task}\" is unknown (expected action, query, authority, domain, title or read_url)"),
        };
    }

    private static IReadOnlyList<ContentPart> ParseParts(JsonElement array, string path)
    {
        var parts = new List<ContentPart>();
        int i = 0;
        foreach (JsonElement b in array.EnumerateArray())
        {
            string p = $"{path}[{i++}]";
            if (b.ValueKind != JsonValueKind.Object) throw new ChatFormatException($"{p} must be an object");
            string type = OptString(b, "type", p) ?? throw new ChatFormatException($"{p}.type is missing");
            parts.Add(new ContentPart(type, OptString(b, "text", p)));
        }
        return parts;
    }

    private static IReadOnlyList<ToolCall> ParseToolCalls(JsonElement array, string path)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new ChatFormatException($"{path} must be an array");
        var calls = new List<ToolCall>();
        int i = 0;
        foreach (JsonElement t in array.EnumerateArray())
        {
            string p = $"{path}[{i++}]";
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("function", out JsonElement f) || f.ValueKind != JsonValueKind.Object)
                throw new ChatFormatException($"{p}.function is missing");
            string name = OptString(f, "name", p + ".function") ?? throw new ChatFormatException($"{p}.function.name is missing");
            if (!f.TryGetProperty("arguments", out JsonElement a) || a.ValueKind != JsonValueKind.String)
                throw new ChatFormatException($"{p}.function.arguments is missing or not a JSON string");
            string? id = OptString(t, "id", p) ?? OptString(f, "id", p + ".function");
            calls.Add(new ToolCall(name, a.GetString()!, id));
        }
        return calls;
    }

    private static IReadOnlyList<ToolDefinition> ParseTools(JsonElement array, string path)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new ChatFormatException($"{path} must be an array");
        var tools = new List<ToolDefinition>();
        int i = 0;
        foreach (JsonElement t in array.EnumerateArray())
        {
            string p = $"{path}[{i++}]";
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("function", out JsonElement f) || f.ValueKind != JsonValueKind.Object)
                throw new ChatFormatException($"{p}.function is missing (tools use the OpenAI form {{\"type\": \"function\", \"function\": {{...}}}})");
            tools.Add(new ToolDefinition(f.Clone()));
        }
        return tools;
    }

    /// <summary>Reads encode options in the chat_cases.json form ({thinking_mode, drop_thinking, reasoning_effort, add_default_bos_token, context}).</summary>
    public static ChatEncodeOptions ParseOptions(JsonElement o)
    {
        var opts = new ChatEncodeOptions();
        if (o.ValueKind != JsonValueKind.Object) return opts;
        if (o.TryGetProperty("thinking_mode", out JsonElement tm))
            opts = opts with { ThinkingMode = tm.GetString() switch { "thinking" => ThinkingMode.Thinking, "chat" => ThinkingMode.Chat, var x => throw new ChatFormatException($"thinking_mode \"{x}\" is not chat or thinking") } };
        if (o.TryGetProperty("drop_thinking", out JsonElement dt)) opts = opts with { DropThinking = dt.GetBoolean() };
        if (o.TryGetProperty("add_default_bos_token", out JsonElement bos)) opts = opts with { AddDefaultBosToken = bos.GetBoolean() };
        if (o.TryGetProperty("reasoning_effort", out JsonElement re) && re.ValueKind != JsonValueKind.Null)
            opts = opts with { ReasoningEffort = ParseEffort(re.GetString()) };
        if (o.TryGetProperty("context", out JsonElement ctx) && ctx.ValueKind != JsonValueKind.Null) opts = opts with { Context = ParseArray(ctx, "context") };
        return opts;
    }

    public static ReasoningEffort ParseEffort(string? value) => value switch
    {
        null => ReasoningEffort.Default,
        "high" => ReasoningEffort.High,
        "max" => ReasoningEffort.Max,
        _ => throw new ChatFormatException($"reasoning effort \"{value}\" is not high or max"),
    };
}
