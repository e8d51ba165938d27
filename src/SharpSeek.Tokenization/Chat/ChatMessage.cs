// The chat data model shared by the V4 encoder, the completion parser and callers (server, CLI):
// messages in the OpenAI-like form encoding_dsv4.py takes, tool definitions and tool calls.
using System.Text.Json;

namespace SharpSeek.Tokenization.Chat;

public enum ChatRole { System, Developer, User, Assistant, Tool, LatestReminder }

/// <summary><c>thinking</c>: the generation prompt opens with &lt;think&gt;; <c>chat</c>: with &lt;/think&gt;.</summary>
public enum ThinkingMode { Chat, Thinking }

/// <summary>Reasoning effort; only <see cref="Max"/> changes the prompt (thinking mode only).</summary>
public enum ReasoningEffort { Default, High, Max }

/// <summary>Internal classification tasks; each appends its task token.</summary>
public enum ChatTask { Action, Query, Authority, Domain, Title, ReadUrl }

/// <summary>A tool the model may call: the OpenAI <c>function</c> object (name, description, parameters), kept as JSON.</summary>
public sealed record ToolDefinition(JsonElement Function)
{
    public string Name => Function.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? "" : "";
}

/// <summary>A tool call: the function name and its arguments as a JSON string.</summary>
public sealed record ToolCall(string Name, string Arguments, string? Id = null);

/// <summary>One block of list-form content (tool results): <c>text</c> blocks carry text; others render as unsupported.</summary>
public sealed record ContentPart(string Type, string? Text = null);

/// <summary>A chat message. Content is a string, or for tool results a list of <see cref="Parts"/>.</summary>
public sealed record ChatMessage(ChatRole Role, string? Content = null)
{
    public IReadOnlyList<ContentPart>? Parts { get; init; }
    public string? ReasoningContent { get; init; }
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public string? ToolCallId { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<ToolDefinition>? Tools { get; init; }
    public JsonElement? ResponseFormat { get; init; }
    public ChatTask? Task { get; init; }
    /// <summary><c>wo_eos</c>: leave this assistant turn open (no EOS) for continuation.</summary>
    public bool WithoutEos { get; init; }

    public static ChatMessage System(string content) => new(ChatRole.System, content);
    public static ChatMessage User(string content) => new(ChatRole.User, content);
    public static ChatMessage Assistant(string? content, string? reasoning = null, IReadOnlyList<ToolCall>? toolCalls = null) =>
        new(ChatRole.Assistant, content) { ReasoningContent = reasoning, ToolCalls = toolCalls };
    public static ChatMessage ToolResult(string toolCallId, string content) => new(ChatRole.Tool, content) { ToolCallId = toolCallId };
}

/// <summary>Options of <see cref="ChatEncoder.Encode"/>, mapping 1:1 onto encode_messages' keyword arguments.</summary>
public sealed record ChatEncodeOptions
{
    public ThinkingMode ThinkingMode { get; init; } = ThinkingMode.Chat;
    public bool DropThinking { get; init; } = true;
    public bool AddDefaultBosToken { get; init; } = true;
    public ReasoningEffort ReasoningEffort { get; init; } = ReasoningEffort.Default;
    /// <summary>Earlier messages already in the KV cache: not rendered, and no BOS is added.</summary>
    public IReadOnlyList<ChatMessage>? Context { get; init; }
}

/// <summary>The DeepSeek V4 chat control strings.</summary>
public static class DsmlTokens
{
    public const string Bos = "<｜begin▁of▁sentence｜>";
    public const string Eos = "<｜end▁of▁sentence｜>";
    public const string ThinkStart = "<think>";
    public const string ThinkEnd = "</think>";
    public const string Dsml = "｜DSML｜";
    public const string User = "<｜User｜>";
    public const string Assistant = "<｜Assistant｜>";
    public const string LatestReminder = "<｜latest_reminder｜>";
    public const string ToolCallsStart = "\n\n<" + Dsml + "tool_calls";
    public const string ToolCallsEnd = "</" + Dsml + "tool_calls>";

    public static string TaskToken(ChatTask task) => task switch
    {
        ChatTask.Action => "<｜action｜>",
        ChatTask.Query => "<｜query｜>",
        ChatTask.Authority => "<｜authority｜>",
        ChatTask.Domain => "<｜domain｜>",
        ChatTask.Title => "<｜title｜>",
        _ => "<｜read_url｜>",
    };
}
