// Streams a V4 completion: text chunks in, reasoning deltas, content deltas and complete tool calls
// out. Text that could be the start of a control string (</think>, EOS, the tool-calls opener) is
// held back until decided; tool calls are parsed with CompletionParser's own scanning code on the
// buffered block, so the stream agrees with the whole-text parser at every split point.
using System.Text;

namespace SharpSeek.Tokenization.Chat;

public enum CompletionDeltaKind { Reasoning, Content, ToolCall }

/// <summary>One streamed event: a reasoning or content text delta, or a complete tool call.</summary>
public readonly record struct CompletionDelta(CompletionDeltaKind Kind, string Text, ParsedToolCall? ToolCall = null);

public sealed class IncrementalCompletionParser
{
    private enum Phase { Reasoning, Content, ToolCalls, Trailer }

    private static readonly string[] ReasoningStops = [DsmlTokens.ThinkEnd, DsmlTokens.ToolCallsStart];
    // A reasoning marker in content (the model reasoned in chat mode, or closed its thinking twice)
    // is a stop too: it is dropped, never streamed as content, and the content goes on after it.
    private static readonly string[] ContentStops = [DsmlTokens.Eos, DsmlTokens.ToolCallsStart, DsmlTokens.ThinkEnd, DsmlTokens.ThinkStart];

    private readonly ThinkingMode _mode;
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _reasoning = new();
    private readonly StringBuilder _content = new();
    private readonly List<ParsedToolCall> _calls = new();
    private Phase _phase;
    private int _emitted;   // text offset up to which the current text phase has been emitted
    private int _toolStart; // text offset just after "\n\n<｜DSML｜tool_calls"
    private int _sentOfPending; // chars of the pending region already sent as deltas

    public IncrementalCompletionParser(ThinkingMode mode)
    {
        _mode = mode;
        _phase = mode == ThinkingMode.Thinking ? Phase.Reasoning : Phase.Content;
    }

    /// <summary>Feeds a chunk; returns the deltas it makes certain. Throws ChatFormatException on malformed text.</summary>
    public IReadOnlyList<CompletionDelta> Append(string chunk)
    {
        _text.Append(chunk);
        var deltas = new List<CompletionDelta>();
        while (Step(deltas)) { }
        return deltas;
    }

    /// <summary>Ends the stream: validates the whole completion and returns the final deltas and result.</summary>
    public IReadOnlyList<CompletionDelta> Complete(out ParsedCompletion result)
    {
        result = CompletionParser.Parse(_text.ToString(), _mode);
        var deltas = new List<CompletionDelta>();
        AddRemainder(deltas, CompletionDeltaKind.Reasoning, _reasoning, result.Reasoning);
        AddRemainder(deltas, CompletionDeltaKind.Content, _content, result.Content);
        for (int i = _calls.Count; i < result.ToolCalls.Count; i++)
        {
            _calls.Add(result.ToolCalls[i]);
            deltas.Add(new CompletionDelta(CompletionDeltaKind.ToolCall, "", result.ToolCalls[i]));
        }
        return deltas;
    }

    private static void AddRemainder(List<CompletionDelta> deltas, CompletionDeltaKind kind, StringBuilder emitted, string final)
    {
        if (!TryAddRemainder(deltas, kind, emitted, final))
            throw new InvalidOperationException($"streamed {kind} diverged from the whole-text parse");
    }

    /// <summary>
    /// The part of <paramref name="final"/> not streamed yet, as one delta (also appended to
    /// <paramref name="emitted"/>); false when what was streamed is not a prefix of it.
    /// </summary>
    internal static bool TryAddRemainder(List<CompletionDelta> deltas, CompletionDeltaKind kind, StringBuilder emitted, string final)
    {
        string sent = emitted.ToString();
        if (!final.StartsWith(sent, StringComparison.Ordinal)) return false;
        if (final.Length > sent.Length)
        {
            deltas.Add(new CompletionDelta(kind, final[sent.Length..]));
            emitted.Append(final, sent.Length, final.Length - sent.Length);
        }
        return true;
    }

    // Advances one decision; returns true when another step may make progress.
    private bool Step(List<CompletionDelta> deltas)
    {
        switch (_phase)
        {
            case Phase.Reasoning:
            case Phase.Content:
            {
                bool reasoning = _phase == Phase.Reasoning;
                string[] stops = reasoning ? ReasoningStops : ContentStops;
                string pending = _text.ToString(_emitted, _text.Length - _emitted);
                int index = 0;
                bool decided = CompletionParser.ReadUntilStop(pending, ref index, stops, final: false, out string before, out string? stop);
                if (!decided)
                {
                    int partial = CompletionParser.PartialStopStart(pending, 0, stops);
                    Emit(deltas, reasoning, pending[..(partial >= 0 ? partial : pending.Length)]);
                    return false;
                }
                Emit(deltas, reasoning, before);
                _emitted += index;
                _sentOfPending = 0;
                if (reasoning && stop == DsmlTokens.ToolCallsStart) throw new ChatFormatException("Invalid thinking format: missing </think>");
                if (reasoning) { _phase = Phase.Content; return true; }
                if (stop is DsmlTokens.ThinkEnd or DsmlTokens.ThinkStart) return true;
                if (stop == DsmlTokens.ToolCallsStart) { _phase = Phase.ToolCalls; _toolStart = _emitted; return true; }
                _phase = Phase.Trailer; // after EOS: anything more is rejected by Complete
                return false;
            }
            case Phase.ToolCalls:
            {
                string block = _text.ToString(_toolStart, _text.Length - _toolStart);
                var calls = new List<ParsedToolCall>();
                int index = 0;
                bool done = CompletionParser.ParseToolCalls(block, ref index, final: false, calls);
                for (int i = _calls.Count; i < calls.Count; i++)
                {
                    _calls.Add(calls[i]);
                    deltas.Add(new CompletionDelta(CompletionDeltaKind.ToolCall, "", calls[i]));
                }
                if (done) _phase = Phase.Trailer;
                return false;
            }
            default:
                return false;
        }
    }

    // Sends the part of `safeText` (a prefix of the pending region) that was not sent yet.
    private void Emit(List<CompletionDelta> deltas, bool reasoning, string safeText)
    {
        if (safeText.Length <= _sentOfPending) return;
        string delta = safeText[_sentOfPending..];
        (reasoning ? _reasoning : _content).Append(delta);
        deltas.Add(new CompletionDelta(reasoning ? CompletionDeltaKind.Reasoning : CompletionDeltaKind.Content, delta));
        _sentOfPending = safeText.Length;
    }
}
