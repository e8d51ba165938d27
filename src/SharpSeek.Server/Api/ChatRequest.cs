// POST /v1/chat/completions body -> the V4 chat data model: messages (string or text-part content),
// tools with tool_choice, response_format, and DeepSeek's thinking switch and reasoning effort
// (`thinking: {type: enabled|disabled}`, `reasoning_effort: high|max|...`). Default: the model
// directory's generation_config.json (GenerationDefaults), else thinking off.
using System.Text.Json;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public sealed record ChatRequest(CommonParams Common, IReadOnlyList<ChatMessage> Messages, IReadOnlyList<ToolDefinition>? Tools,
    JsonElement? ResponseFormat, ThinkingMode Mode, ReasoningEffort Effort, ToolChoice ToolChoice)
{
    /// <summary>The images of image_url content parts, in order; each left ImageParts.Marker in its message's text.</summary>
    public IReadOnlyList<ImagePart> Images { get; init; } = [];

    /// <summary>parallel_tool_calls: false allows one call per answer (constrained when a call is required or a tool is strict).</summary>
    public bool ParallelToolCalls { get; init; } = true;

    /// <summary>The tools are the server's own (serve --mcp): the request brought none and did not say tool_choice none.</summary>
    public bool UsesServerTools { get; init; }

    /// <param name="defaults">The model's generation_config.json: thinking mode, effort and sampling when the request does not say.</param>
    /// <param name="serverTools">Tools the server runs itself, offered when the request brings no tools.</param>
    public static ChatRequest Parse(JsonElement root, GenerationDefaults? defaults = null, IReadOnlyList<ToolDefinition>? serverTools = null)
    {
        GenerationDefaults d = defaults ?? GenerationDefaults.None;
        CommonParams common = RequestFields.Common(root, chat: true, d);
        if (!root.TryGetProperty("messages", out JsonElement msgs) || msgs.ValueKind != JsonValueKind.Array)
            throw ApiError.BadRequest("messages must be an array of message objects", "messages");
        var messages = new List<ChatMessage>();
        var images = new List<ImagePart>();
        int i = 0;
        foreach (JsonElement m in msgs.EnumerateArray()) messages.Add(Message(m, $"messages[{i++}]", images));
        if (messages.Count == 0) throw ApiError.BadRequest("messages must not be empty", "messages");

        IReadOnlyList<ToolDefinition>? tools = ParseTools(root);
        bool server = tools is null && serverTools is { Count: > 0 };
        if (server) tools = serverTools;
        ToolChoice choice = ParseToolChoice(root, tools);
        if (choice.Mode == ToolChoiceMode.None) { tools = null; server = false; }

        JsonElement? format = null;
        if (root.TryGetProperty("response_format", out JsonElement rf) && rf.ValueKind != JsonValueKind.Null)
        {
            if (rf.ValueKind != JsonValueKind.Object)
                throw ApiError.BadRequest("response_format must be an object such as {\"type\": \"json_object\"}", "response_format");
            string? type = RequestFields.String(rf, "type");
            if (type is not ("text" or "json_object" or "json_schema")) throw ApiError.BadRequest($"response_format.type \"{type}\" is not text, json_object or json_schema", "response_format");
            if (type != "text") format = rf.Clone();
        }

        string? effortText = RequestFields.String(root, "reasoning_effort");
        bool? thinking = null;
        if (root.TryGetProperty("thinking", out JsonElement th) && th.ValueKind != JsonValueKind.Null)
        {
            string? type = th.ValueKind == JsonValueKind.Object ? RequestFields.String(th, "type") : null;
            thinking = type switch
            {
                "enabled" => true,
                "disabled" => false,
                _ => throw ApiError.BadRequest("thinking must be {\"type\": \"enabled\"} or {\"type\": \"disabled\"}", "thinking"),
            };
        }
        ReasoningEffort effort = effortText switch
        {
            null => d.Effort switch { ReasoningLevel.High => ReasoningEffort.High, ReasoningLevel.Max => ReasoningEffort.Max, _ => ReasoningEffort.Default },
            "low" or "medium" or "none" => ReasoningEffort.Default,
            "high" => ReasoningEffort.High,
            "max" or "xhigh" => ReasoningEffort.Max,
            _ => throw ApiError.BadRequest($"reasoning_effort \"{effortText}\" is not none, low, medium, high or max", "reasoning_effort"),
        };
        // Unsaid: a reasoning_effort other than none asks for thinking; else the model's default.
        bool on = thinking ?? (effortText is null ? d.Thinking : effortText != "none");
        return new ChatRequest(common, messages, tools, format, on ? ThinkingMode.Thinking : ThinkingMode.Chat, on ? effort : ReasoningEffort.Default, choice)
        {
            ParallelToolCalls = RequestFields.Bool(root, "parallel_tool_calls") ?? true,
            Images = images,
            UsesServerTools = server,
        };
    }

    // "none" | "auto" | "required" | {"type": "function", "function": {"name": N}} (N one of the tools).
    private static ToolChoice ParseToolChoice(JsonElement root, IReadOnlyList<ToolDefinition>? tools)
    {
        if (!root.TryGetProperty("tool_choice", out JsonElement tc) || tc.ValueKind == JsonValueKind.Null) return ToolChoice.Auto;
        ToolChoice choice;
        if (tc.ValueKind == JsonValueKind.String)
            choice = tc.GetString() switch
            {
                "none" => new ToolChoice(ToolChoiceMode.None),
                "auto" => ToolChoice.Auto,
                "required" => new ToolChoice(ToolChoiceMode.Required),
                var other => throw ApiError.BadRequest($"tool_choice \"{other}\" is not none, auto, required or a function object", "tool_choice"),
            };
        else if (tc.ValueKind == JsonValueKind.Object && RequestFields.String(tc, "type") == "function"
                 && tc.TryGetProperty("function", out JsonElement f) && f.ValueKind == JsonValueKind.Object && RequestFields.String(f, "name") is string name)
            choice = new ToolChoice(ToolChoiceMode.Function, name);
        else throw ApiError.BadRequest("tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}", "tool_choice");
        if (choice.Mode is ToolChoiceMode.Required or ToolChoiceMode.Function && tools is null)
            throw ApiError.BadRequest("tool_choice requires a tool call but the request has no tools", "tool_choice");
        if (choice.Mode == ToolChoiceMode.Function && !tools!.Any(t => t.Name == choice.Name))
            throw ApiError.BadRequest($"tool_choice names function \"{choice.Name}\", which is not among the tools", "tool_choice");
        return choice;
    }

    private static ChatMessage Message(JsonElement m, string path, List<ImagePart> images)
    {
        if (m.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest($"{path} must be an object", path);
        string role = RequestFields.String(m, "role") ?? throw ApiError.BadRequest($"{path}.role is missing", path + ".role");
        int before = images.Count;
        string? content = Content(m, path, images);
        if (images.Count > before && role != "user") throw ApiError.BadRequest($"{path}: image content parts are read on user messages only", path + ".content");
        ChatRole r = role switch
        {
            "system" => ChatRole.System,
            "developer" => ChatRole.Developer,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" => ChatRole.Tool,
            _ => throw ApiError.BadRequest($"{path}.role \"{role}\" is not system, developer, user, assistant or tool", path + ".role"),
        };
        // Content is required except on an assistant message that carries tool calls (OpenAI's schema).
        if (r == ChatRole.Tool)
        {
            string id = RequestFields.String(m, "tool_call_id") ?? throw ApiError.BadRequest($"{path}.tool_call_id is missing", path + ".tool_call_id");
            return ChatMessage.ToolResult(id, content ?? throw ContentMissing(path, role));
        }
        if (r == ChatRole.Developer && string.IsNullOrEmpty(content)) throw ContentMissing(path, role);
        if (r != ChatRole.Assistant) return new ChatMessage(r, content ?? throw ContentMissing(path, role)) { Name = RequestFields.String(m, "name") };
        IReadOnlyList<ToolCall>? calls = ToolCalls(m, path);
        if (content is null && calls is null) throw ApiError.BadRequest($"{path}: an assistant message needs content or tool_calls", path + ".content");
        return ChatMessage.Assistant(content ?? "", RequestFields.String(m, "reasoning_content"), calls);
    }

    private static ApiError ContentMissing(string path, string role) => ApiError.BadRequest($"{path}.content is missing (required on a {role} message)", path + ".content");

    // A string, or a list of {type: "text", text} and {type: "image_url"} parts (joined; an image leaves
    // ImageParts.Marker); other part types are refused.
    private static string? Content(JsonElement m, string path, List<ImagePart> images)
    {
        if (!m.TryGetProperty("content", out JsonElement c) || c.ValueKind == JsonValueKind.Null) return null;
        if (c.ValueKind == JsonValueKind.String) return c.GetString();
        if (c.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest($"{path}.content must be a string or an array of text parts", path + ".content");
        var text = new System.Text.StringBuilder();
        int k = 0;
        foreach (JsonElement part in c.EnumerateArray())
        {
            string partPath = $"{path}.content[{k++}]";
            string? type = part.ValueKind == JsonValueKind.Object ? RequestFields.String(part, "type") : null;
            if (type == "image_url")
            {
                images.Add(ImageParts.Parse(part, partPath));
                text.Append(ImageParts.Marker);
                continue;
            }
            if (type != "text")
                throw ApiError.BadRequest($"{path}.content: only text and image_url parts are supported", path + ".content");
            text.Append(RequestFields.String(part, "text"));
        }
        return text.ToString();
    }

    private static IReadOnlyList<ToolCall>? ToolCalls(JsonElement m, string path)
    {
        if (!m.TryGetProperty("tool_calls", out JsonElement tc) || tc.ValueKind == JsonValueKind.Null) return null;
        if (tc.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest($"{path}.tool_calls must be an array", path + ".tool_calls");
        var calls = new List<ToolCall>();
        foreach (JsonElement t in tc.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("function", out JsonElement f) || f.ValueKind != JsonValueKind.Object)
                throw ApiError.BadRequest($"{path}.tool_calls[].function is missing", path + ".tool_calls");
            string name = RequestFields.String(f, "name") ?? throw ApiError.BadRequest($"{path}.tool_calls[].function.name is missing", path + ".tool_calls");
            CheckFunctionName(name, path + ".tool_calls[].function.name");
            calls.Add(new ToolCall(name, RequestFields.String(f, "arguments") ?? "{}", RequestFields.String(t, "id")));
        }
        return calls.Count > 0 ? calls : null;
    }

    private static void CheckFunctionName(string name, string path)
    {
        if (!ChatRequestRules.FunctionName().IsMatch(name))
            throw ApiError.BadRequest($"{path} \"{(name.Length <= 64 ? name : name[..64] + "...")}\" must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -", path);
    }

    private static IReadOnlyList<ToolDefinition>? ParseTools(JsonElement root)
    {
        if (!root.TryGetProperty("tools", out JsonElement tools) || tools.ValueKind == JsonValueKind.Null) return null;
        if (tools.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest("tools must be an array", "tools");
        var list = new List<ToolDefinition>();
        foreach (JsonElement t in tools.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("function", out JsonElement f) || f.ValueKind != JsonValueKind.Object
                || RequestFields.String(f, "name") is null)
                throw ApiError.BadRequest("each tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}", "tools");
            CheckFunctionName(RequestFields.String(f, "name")!, $"tools[{list.Count}].function.name");
            if (f.TryGetProperty("parameters", out JsonElement ps) && ps.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                throw ApiError.BadRequest($"tools[{list.Count}].function.parameters must be a JSON Schema object", "tools");
            list.Add(new ToolDefinition(f.Clone()));
        }
        return list.Count > 0 ? list : null;
    }
}

public static partial class ChatRequestRules
{
    /// <summary>OpenAI's rule for a function name: 1 to 64 of a-z, A-Z, 0-9, underscore, dash.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    public static partial System.Text.RegularExpressions.Regex FunctionName();
}

public enum ToolChoiceMode { Auto, None, Required, Function }

/// <summary>The request's tool_choice; Name is the function when Mode is Function.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? Name = null)
{
    public static readonly ToolChoice Auto = new(ToolChoiceMode.Auto);
}
