// THE text path of one chat completion: generated ids -> CompletionText (UTF-8, stop strings, EOS)
// -> CompletionAssembler (strict incremental DSML parsing, lenient at the end) -> reasoning,
// content and tool-call deltas, and finally the parsed assistant message. Used by the CLI chat,
// the server and the in-process IChatClient alike.
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Tokenization.Text;

public sealed class ChatCompletionText
{
    private readonly CompletionText _text;
    private readonly CompletionAssembler _assembler;
    private int _toolCalls;

    public ChatCompletionText(Tokenizer tokenizer, ThinkingMode mode, IEnumerable<string>? stops = null, IEnumerable<int>? endIds = null)
    {
        _text = new CompletionText(tokenizer, stops, endIds, skipSpecialTokens: false);
        _assembler = new CompletionAssembler(mode);
    }

    public bool StoppedByString => _text.Stopped;
    public int Tokens => _text.Tokens;
    public int ToolCalls => _toolCalls;
    /// <summary>The raw completion text so far.</summary>
    public string Text => _text.Text;

    /// <summary>Takes the next generated id; returns the deltas it makes certain.</summary>
    public IReadOnlyList<CompletionDelta> Push(int id) => Count(_assembler.Append(_text.Push(id).Text));

    /// <summary>Ends the completion: the remaining deltas and the final message (lenient on malformed text).</summary>
    public IReadOnlyList<CompletionDelta> Finish(out ParsedCompletion message)
    {
        var deltas = new List<CompletionDelta>(Count(_assembler.Append(_text.Flush().Text)));
        deltas.AddRange(Count(_assembler.Finish(out message)));
        return deltas;
    }

    private IReadOnlyList<CompletionDelta> Count(IReadOnlyList<CompletionDelta> deltas)
    {
        foreach (CompletionDelta d in deltas) if (d.Kind == CompletionDeltaKind.ToolCall) _toolCalls++;
        return deltas;
    }
}
