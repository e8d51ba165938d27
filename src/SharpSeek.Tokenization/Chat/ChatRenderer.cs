// Renders one merged message of a V4 conversation (render_message of encoding_dsv4.py): role
// markers, tools and response-format sections, DSML tool calls, the thinking part, and the
// transition tokens / task tokens that follow a turn.
using System.Text;
using System.Text.Json;
using SharpSeek.Tokenization.Json;

namespace SharpSeek.Tokenization.Chat;

internal enum BlockKind { Text, ToolResult }

/// <summary>A content block of a merged user turn: text, or a tool result (string or list content).</summary>
internal sealed record RenderBlock(BlockKind Kind, string? Text, string ToolUseId, IReadOnlyList<ContentPart>? Parts);

/// <summary>A message after tool merging: what render_message sees.</summary>
internal sealed class RenderMessage
{
    public ChatRole Role { get; init; }
    public string? Content { get; init; }
    public List<RenderBlock>? Blocks { get; init; }
    public string? Reasoning { get; init; }
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    public IReadOnlyList<ToolDefinition>? Tools { get; init; }
    public JsonElement? ResponseFormat { get; init; }
    public ChatTask? Task { get; init; }
    public bool WithoutEos { get; init; }

    public RenderMessage WithoutReasoning() => new()
    {
        Role = Role, Content = Content, Blocks = Blocks, ToolCalls = ToolCalls, Tools = Tools,
        ResponseFormat = ResponseFormat, Task = Task, WithoutEos = WithoutEos,
    };
}

internal sealed class ChatRenderer(List<RenderMessage> messages, ThinkingMode mode, bool dropThinking, ReasoningEffort effort)
{
    private const string EffortMaxPreamble =
        "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n" +
        "You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve the root cause, rigorously stress-testing your logic against all potential paths, edge cases, and adversarial scenarios.\n" +
        "Explicitly write out your entire deliberation process, documenting every intermediate step, considered alternative, and rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n";

    private const string ResponseFormatTemplate = "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";

    private readonly int _lastUser = LastUserIndex(messages);
    private bool Thinking => mode == ThinkingMode.Thinking;

    public static int LastUserIndex(List<RenderMessage> messages)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role is ChatRole.User or ChatRole.Developer) return i;
        return -1;
    }

    public void Render(int index, StringBuilder prompt)
    {
        RenderMessage m = messages[index];
        if (index == 0 && Thinking && effort == ReasoningEffort.Max) prompt.Append(EffortMaxPreamble);
        switch (m.Role)
        {
            case ChatRole.System:
                prompt.Append(m.Content ?? "");
                AppendToolsAndFormat(m, prompt);
                break;
            case ChatRole.Developer:
                if (string.IsNullOrEmpty(m.Content)) throw new ChatFormatException($"developer message {index} has no content");
                prompt.Append(DsmlTokens.User).Append(m.Content);
                AppendToolsAndFormat(m, prompt);
                break;
            case ChatRole.User:
                prompt.Append(DsmlTokens.User);
                if (m.Blocks is { Count: > 0 }) prompt.Append(string.Join("\n\n", m.Blocks.Select(RenderBlockText)));
                else prompt.Append(m.Content ?? "");
                break;
            case ChatRole.LatestReminder:
                prompt.Append(DsmlTokens.LatestReminder).Append(m.Content ?? "");
                break;
            case ChatRole.Assistant:
                RenderAssistant(index, m, prompt);
                break;
            default:
                throw new ChatFormatException($"message {index}: role {m.Role} cannot be rendered");
        }

        if (index + 1 < messages.Count && messages[index + 1].Role is not (ChatRole.Assistant or ChatRole.LatestReminder)) return;
        if (m.Task is ChatTask task)
        {
            if (task != ChatTask.Action) prompt.Append(DsmlTokens.TaskToken(task));
            else prompt.Append(DsmlTokens.Assistant).Append(Thinking ? DsmlTokens.ThinkStart : DsmlTokens.ThinkEnd).Append(DsmlTokens.TaskToken(task));
        }
        else if (m.Role is ChatRole.User or ChatRole.Developer)
        {
            prompt.Append(DsmlTokens.Assistant);
            bool open = Thinking && (!dropThinking || index >= _lastUser);
            prompt.Append(open ? DsmlTokens.ThinkStart : DsmlTokens.ThinkEnd);
        }
    }

    private static void AppendToolsAndFormat(RenderMessage m, StringBuilder prompt)
    {
        if (m.Tools is { Count: > 0 }) prompt.Append("\n\n").Append(RenderTools(m.Tools));
        if (m.ResponseFormat is JsonElement rf) prompt.Append("\n\n").Append(ResponseFormatTemplate).Append(PythonJson.Dumps(rf));
    }

    private static string RenderBlockText(RenderBlock b)
    {
        if (b.Kind == BlockKind.Text) return b.Text ?? "";
        string content = b.Parts != null
            ? string.Join("\n\n", b.Parts.Select(p => p.Type == "text" ? p.Text ?? "" : $"[Unsupported {p.Type}]"))
            : b.Text ?? "";
        return "<tool_result>" + content + "</tool_result>";
    }

    private void RenderAssistant(int index, RenderMessage m, StringBuilder prompt)
    {
        string toolCalls = "";
        if (m.ToolCalls is { Count: > 0 })
        {
            var calls = m.ToolCalls.Select(tc =>
                $"<{DsmlTokens.Dsml}invoke name=\"{tc.Name}\">\n{DsmlArguments.Encode(tc)}\n</{DsmlTokens.Dsml}invoke>");
            toolCalls = $"\n\n<{DsmlTokens.Dsml}tool_calls>\n{string.Join("\n", calls)}\n</{DsmlTokens.Dsml}tool_calls>";
        }
        bool prevHasTask = index >= 1 && messages[index - 1].Task != null;
        string thinkingPart = "";
        if (Thinking && !prevHasTask && (!dropThinking || index > _lastUser))
            thinkingPart = (m.Reasoning ?? "") + DsmlTokens.ThinkEnd;
        prompt.Append(thinkingPart).Append(m.Content ?? "").Append(toolCalls);
        if (!m.WithoutEos) prompt.Append(DsmlTokens.Eos);
    }

    private static string RenderTools(IReadOnlyList<ToolDefinition> tools)
    {
        string d = DsmlTokens.Dsml;
        string schemas = string.Join("\n", tools.Select(t => PythonJson.Dumps(t.Function)));
        return "## Tools\n\nYou have access to a set of tools to help answer the user's question. You can invoke tools by writing a \"<" + d + "tool_calls>\" block like the following:\n\n" +
            "<" + d + "tool_calls>\n<" + d + "invoke name=\"$TOOL_NAME\">\n<" + d + "parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</" + d + "parameter>\n...\n</" + d + "invoke>\n<" + d + "invoke name=\"$TOOL_NAME2\">\n...\n</" + d + "invoke>\n</" + d + "tool_calls>\n\n" +
            "String parameters should be specified as is and set `string=\"true\"`. For all other types (numbers, booleans, arrays, objects), pass the value in JSON format and set `string=\"false\"`.\n\n" +
            "If thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning inside <think>...</think> BEFORE any tool calls or final response.\n\n" +
            "Otherwise, output directly after </think> with tool calls or final response.\n\n" +
            "### Available Tool Schemas\n\n" + schemas + "\n\nYou MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n";
    }
}
