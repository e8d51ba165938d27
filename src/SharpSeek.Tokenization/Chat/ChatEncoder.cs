// DeepSeek V4 chat encoding with the semantics of the official encoding_dsv4.py encode_messages:
// tool messages merged into user turns (and re-sorted into call order), earlier reasoning dropped,
// reasoning-effort preamble, tools / response_format sections, DSML tool calls, task tokens.
// Message rendering lives in ChatRenderer; this file is the pipeline (merge, sort, drop, render).
using System.Text;

namespace SharpSeek.Tokenization.Chat;

public static class ChatEncoder
{
    /// <summary>Renders <paramref name="messages"/> to the prompt text (tokenize it to get the prompt ids).</summary>
    public static string Encode(IReadOnlyList<ChatMessage> messages, ChatEncodeOptions? options = null)
    {
        options ??= new ChatEncodeOptions();
        List<RenderMessage> context = MergeToolMessages(options.Context ?? []);
        List<RenderMessage> current = MergeToolMessages(messages);
        var full = new List<RenderMessage>(context.Count + current.Count);
        full.AddRange(context);
        full.AddRange(current);
        SortToolResultsByCallOrder(full);

        var prompt = new StringBuilder();
        if (options.AddDefaultBosToken && context.Count == 0) prompt.Append(DsmlTokens.Bos);

        bool dropThinking = options.DropThinking && !full.Any(m => m.Tools is { Count: > 0 });
        bool thinking = options.ThinkingMode == ThinkingMode.Thinking;
        int toRender, contextLength;
        if (thinking && dropThinking)
        {
            full = DropThinking(full);
            toRender = full.Count - DropThinking(context).Count;
            contextLength = full.Count - toRender;
        }
        else
        {
            toRender = current.Count;
            contextLength = context.Count;
        }
        var renderer = new ChatRenderer(full, options.ThinkingMode, dropThinking, options.ReasoningEffort);
        for (int i = 0; i < toRender; i++) renderer.Render(i + contextLength, prompt);
        return prompt.ToString();
    }

    // merge_tool_messages: tool results become tool_result blocks of a user turn; a user message
    // becomes a text block, appended to the previous user turn when that one has no task.
    private static List<RenderMessage> MergeToolMessages(IReadOnlyList<ChatMessage> messages)
    {
        var merged = new List<RenderMessage>();
        foreach (ChatMessage m in messages)
        {
            RenderMessage? last = merged.Count > 0 ? merged[^1] : null;
            if (m.Role == ChatRole.Tool)
            {
                var block = new RenderBlock(BlockKind.ToolResult, m.Content, m.ToolCallId ?? "", m.Parts);
                if (last is { Role: ChatRole.User, Blocks: not null }) last.Blocks.Add(block);
                else merged.Add(new RenderMessage { Role = ChatRole.User, Blocks = [block] });
            }
            else if (m.Role == ChatRole.User)
            {
                var block = new RenderBlock(BlockKind.Text, m.Content ?? "", "", null);
                if (last is { Role: ChatRole.User, Blocks: not null, Task: null }) last.Blocks.Add(block);
                else merged.Add(new RenderMessage { Role = ChatRole.User, Content = m.Content ?? "", Blocks = [block], Task = m.Task, WithoutEos = m.WithoutEos });
            }
            else
            {
                merged.Add(new RenderMessage
                {
                    Role = m.Role, Content = m.Content, Reasoning = m.ReasoningContent, ToolCalls = m.ToolCalls, Tools = m.Tools,
                    ResponseFormat = m.ResponseFormat, Task = m.Task, WithoutEos = m.WithoutEos,
                });
            }
        }
        return merged;
    }

    // sort_tool_results_by_call_order: tool_result blocks of a user turn follow the order of the
    // preceding assistant's tool_calls (stable; unknown ids sort as position 0).
    private static void SortToolResultsByCallOrder(List<RenderMessage> messages)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (RenderMessage m in messages)
        {
            if (m.Role == ChatRole.Assistant && m.ToolCalls is { Count: > 0 })
            {
                order = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int i = 0; i < m.ToolCalls.Count; i++)
                    if (!string.IsNullOrEmpty(m.ToolCalls[i].Id)) order[m.ToolCalls[i].Id!] = i;
            }
            else if (m.Role == ChatRole.User && m.Blocks is { Count: > 0 })
            {
                var results = m.Blocks.Where(b => b.Kind == BlockKind.ToolResult).ToList();
                if (results.Count <= 1 || order.Count == 0) continue;
                var sorted = results.OrderBy(b => order.GetValueOrDefault(b.ToolUseId, 0)).ToList();
                int k = 0;
                for (int i = 0; i < m.Blocks.Count; i++)
                    if (m.Blocks[i].Kind == BlockKind.ToolResult) m.Blocks[i] = sorted[k++];
            }
        }
    }

    // _drop_thinking_messages: before the last user/developer turn, assistants lose their reasoning
    // and developer messages are dropped.
    private static List<RenderMessage> DropThinking(List<RenderMessage> messages)
    {
        int lastUser = ChatRenderer.LastUserIndex(messages);
        var result = new List<RenderMessage>();
        for (int i = 0; i < messages.Count; i++)
        {
            RenderMessage m = messages[i];
            if (m.Role is ChatRole.User or ChatRole.System or ChatRole.Tool or ChatRole.LatestReminder || i >= lastUser) result.Add(m);
            else if (m.Role == ChatRole.Assistant) result.Add(m.WithoutReasoning());
        }
        return result;
    }
}
