// Streaming view of one completion for a client: generated text chunks in, reasoning / content
// deltas and complete tool calls out, and at the end the whole message. Wraps the strict
// IncrementalCompletionParser; when the model's text breaks the V4 format it stops streaming
// deltas and lets LenientCompletion decide the rest at Finish, so every delta sent stays a prefix
// of the final message.
using System.Text;

namespace SharpSeek.Tokenization.Chat;

public sealed class CompletionAssembler
{
    private readonly ThinkingMode _mode;
    private readonly IncrementalCompletionParser _parser;
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _reasoning = new();
    private readonly StringBuilder _content = new();
    private int _callsSent;
    private bool _broken;

    public CompletionAssembler(ThinkingMode mode)
    {
        _mode = mode;
        _parser = new IncrementalCompletionParser(mode);
    }

    public ThinkingMode Mode => _mode;

    /// <summary>Feeds decoded text; returns what became certain.</summary>
    public IReadOnlyList<CompletionDelta> Append(string chunk)
    {
        if (chunk.Length == 0) return [];
        _text.Append(chunk);
        if (_broken) return [];
        IReadOnlyList<CompletionDelta> deltas;
        try { deltas = _parser.Append(chunk); }
        catch (ChatFormatException) { _broken = true; return []; }
        foreach (CompletionDelta d in deltas) Record(d);
        return deltas;
    }

    /// <summary>Ends the stream: the final message and the deltas not sent yet.</summary>
    public IReadOnlyList<CompletionDelta> Finish(out ParsedCompletion result)
    {
        result = LenientCompletion.Parse(_text.ToString(), _mode);
        var deltas = new List<CompletionDelta>();
        IncrementalCompletionParser.TryAddRemainder(deltas, CompletionDeltaKind.Reasoning, _reasoning, result.Reasoning);
        IncrementalCompletionParser.TryAddRemainder(deltas, CompletionDeltaKind.Content, _content, result.Content);
        for (int i = _callsSent; i < result.ToolCalls.Count; i++)
            deltas.Add(new CompletionDelta(CompletionDeltaKind.ToolCall, "", result.ToolCalls[i]));
        _callsSent = Math.Max(_callsSent, result.ToolCalls.Count);
        // What was streamed is what the client has: keep the final message consistent with it.
        if (!result.Reasoning.StartsWith(_reasoning.ToString(), StringComparison.Ordinal) || !result.Content.StartsWith(_content.ToString(), StringComparison.Ordinal))
            result = new ParsedCompletion(_reasoning.ToString(), _content.ToString(), result.ToolCalls);
        return deltas;
    }

    private void Record(CompletionDelta d)
    {
        switch (d.Kind)
        {
            case CompletionDeltaKind.Reasoning: _reasoning.Append(d.Text); break;
            case CompletionDeltaKind.Content: _content.Append(d.Text); break;
            default: _callsSent++; break;
        }
    }
}
