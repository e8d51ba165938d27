// The interactive front end of `sharpseek chat`: reads lines, runs slash commands, streams the
// answer (reasoning as a dim, framed "thinking" log, then the content) and prints a status line.
// Ctrl-C cancels the answer being generated and returns to the prompt. Without a terminal
// (redirected output) it prints plain text with no escape codes.
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Tools;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Cli.Chat;

public sealed class ChatConsole(ChatSession session, TextReader input, TextWriter output, bool ansi, IServerTools? tools = null)
{
    /// <summary>Answers in a row that may call tools (chat --mcp) before the model answers without one.</summary>
    public const int MaxToolRounds = 4;
    private const string Dim = "\u001b[2m", Bold = "\u001b[1m", Reset = "\u001b[0m";
    private CancellationTokenSource? _answer;
    private readonly object _gate = new();

    public const string Help =
        "commands:\n" +
        "  /help           this list\n" +
        "  /reset          forget the conversation (keeps /system)\n" +
        "  /undo           drop the last exchange and restore the memory before it\n" +
        "  /save FILE      write the conversation as JSON messages\n" +
        "  /load FILE      read a conversation saved with /save (or any messages JSON)\n" +
        "  /system TEXT    set the system prompt (/system alone clears it)\n" +
        "  /image PATH     attach an image (PNG, JPEG, GIF, WebP) to your next message (V4.1 with a vision tower)\n" +
        "  /effort high|max|default   reasoning effort (thinking mode)\n" +
        "  /think          toggle thinking mode (reasoning shown dim before the answer)\n" +
        "  /exit           leave (also Ctrl-D); Ctrl-C stops the current answer";

    /// <summary>Ctrl-C handler target: cancels the answer in progress; true when one was running.</summary>
    public bool CancelAnswer()
    {
        lock (_gate)
        {
            if (_answer is null) return false;
            _answer.Cancel();
            return true;
        }
    }

    public void Run()
    {
        output.WriteLine("type a message, or /help for commands");
        while (true)
        {
            output.Write(ansi ? $"{Bold}you>{Reset} " : "you> ");
            output.Flush();
            string? line = input.ReadLine();
            if (line is null) break;
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                if (!Command(line)) break;
                continue;
            }
            Answer(line);
        }
        output.WriteLine();
    }

    // Returns false to leave.
    private bool Command(string line)
    {
        int space = line.IndexOf(' ');
        string name = space < 0 ? line : line[..space], arg = space < 0 ? "" : line[(space + 1)..].Trim();
        try
        {
            switch (name)
            {
                case "/exit" or "/quit": return false;
                case "/help": output.WriteLine(Help); break;
                case "/reset": session.Reset(); output.WriteLine("conversation reset"); break;
                case "/undo":
                    output.WriteLine(session.Undo() ? $"last exchange dropped ({session.Messages.Count} messages left, context {session.ContextUsed}/{session.MaxContext})" : "nothing to undo");
                    break;
                case "/save":
                    if (arg.Length == 0) { output.WriteLine("usage: /save FILE"); break; }
                    ConversationFile.Save(arg, session.Conversation());
                    output.WriteLine($"saved {session.Conversation().Count} messages to {arg}");
                    break;
                case "/load":
                    if (arg.Length == 0) { output.WriteLine("usage: /load FILE"); break; }
                    session.Load(ConversationFile.Load(arg));
                    output.WriteLine($"loaded {session.Messages.Count} messages from {arg}{(session.SystemPrompt is null ? "" : " (with a system prompt)")}");
                    break;
                case "/image":
                    if (arg.Length == 0) { output.WriteLine("usage: /image PATH"); break; }
                    int span = session.AttachImage(arg);
                    output.WriteLine($"image attached ({span} tokens); it goes with your next message ({session.AttachedImages} attached)");
                    break;
                case "/system":
                    session.SystemPrompt = arg.Length == 0 ? null : arg;
                    output.WriteLine(arg.Length == 0 ? "system prompt cleared" : "system prompt set");
                    break;
                case "/effort":
                    session.Effort = arg switch
                    {
                        "high" => ReasoningEffort.High,
                        "max" => ReasoningEffort.Max,
                        "default" or "" => ReasoningEffort.Default,
                        _ => throw new CliException($"effort '{arg}' is not high, max or default"),
                    };
                    output.WriteLine($"reasoning effort: {session.Effort.ToString().ToLowerInvariant()}{(session.Mode == ThinkingMode.Chat ? " (takes effect in thinking mode: /think)" : "")}");
                    break;
                case "/think":
                    session.Mode = session.Mode == ThinkingMode.Chat ? ThinkingMode.Thinking : ThinkingMode.Chat;
                    output.WriteLine($"thinking mode {(session.Mode == ThinkingMode.Thinking ? "on" : "off")}");
                    break;
                default: output.WriteLine($"unknown command {name}; /help lists them"); break;
            }
        }
        catch (CliException e) { output.WriteLine($"error: {e.Message}"); }
        return true;
    }

    private void Answer(string user)
    {
        var cts = new CancellationTokenSource();
        lock (_gate) _answer = cts;
        try
        {
            ChatTurn turn = Stream(onDelta => session.Send(user, onDelta, cts.Token));
            // chat --mcp: run the calls on the attached servers, print each call and result, answer again.
            for (int round = 1; tools is not null && turn.Assistant.ToolCalls is { Count: > 0 } calls
                 && turn.Generation.Finish != FinishReason.Cancelled && round < MaxToolRounds; round++)
            {
                var results = new List<ChatMessage>();
                foreach (ToolCall call in calls)
                {
                    output.WriteLine($"[mcp call] {call.Name}({call.Arguments})");
                    string result = tools.Has(call.Name)
                        ? tools.CallAsync(call.Name, call.Arguments, cts.Token).GetAwaiter().GetResult()
                        : $"error: no attached MCP server offers a tool named '{call.Name}'";
                    output.WriteLine($"[mcp result] {result}");
                    results.Add(ChatMessage.ToolResult(call.Id!, result));
                }
                turn = Stream(onDelta => session.SendToolResults(results, onDelta, cts.Token));
            }
        }
        catch (InvalidOperationException e) { output.WriteLine($"{(ansi ? Reset : "")}error: {e.Message}"); }
        catch (OperationCanceledException) { output.WriteLine("(stopped)"); }
        finally
        {
            lock (_gate) _answer = null;
            cts.Dispose();
        }
    }

    // One generation: the thinking log and the answer as they stream, then the status line.
    private ChatTurn Stream(Func<Action<CompletionDelta>, ChatTurn> generate)
    {
        bool inThinking = false, wroteContent = false;
        void OnDelta(CompletionDelta d)
        {
            if (d.Kind == CompletionDeltaKind.Reasoning)
            {
                if (!inThinking) { output.Write(ansi ? $"{Dim}┌ thinking\n│ " : "[thinking]\n"); inThinking = true; }
                output.Write(ansi ? d.Text.Replace("\n", "\n│ ") : d.Text);
            }
            else
            {
                if (inThinking) { output.Write(ansi ? $"\n└{Reset}\n" : "\n[/thinking]\n"); inThinking = false; }
                if (!wroteContent) { output.Write(ansi ? $"{Bold}assistant>{Reset} " : "assistant> "); wroteContent = true; }
                output.Write(d.Kind == CompletionDeltaKind.ToolCall ? $"[tool call {d.ToolCall?.Name}({d.ToolCall?.Arguments})]" : d.Text);
            }
            output.Flush();
        }
        ChatTurn turn = generate(OnDelta);
        if (inThinking) output.Write(ansi ? $"\n└{Reset}" : "\n[/thinking]");
        if (!wroteContent && !inThinking) output.Write("assistant> ");
        output.WriteLine();
        GenerationResult g = turn.Generation;
        string cancelled = g.Finish == FinishReason.Cancelled ? " · stopped (Ctrl-C)" : "";
        string spec = g.Speculative is { } s ? $" · acceptance {s.AcceptanceRate:P0}" : "";
        string status = $"[{g.Ids.Count} tokens · {g.DecodeTokensPerSecond:F1} tok/s · prefill {turn.PromptIdsFed} tokens{(turn.Reprefilled ? " (re-prefilled)" : "")} · context {session.ContextUsed}/{session.MaxContext}{spec}{cancelled}]";
        output.WriteLine(ansi ? $"{Dim}{status}{Reset}" : status);
        return turn;
    }
}
