// One choice of a chat completion as it streams: token ids -> text (stop strings applied) ->
// reasoning / content / tool-call deltas, with the OpenAI logprobs entries of its tokens.
using SharpSeek.Extensions.AI.Text;
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Scheduling;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Decoding;

namespace SharpSeek.Server.Api;

public sealed class ChatChoice(int index, Tokenizer tokenizer, ThinkingMode mode, IReadOnlyList<string> stops)
{
    private readonly StreamingDecoder _decoder = new(tokenizer, skipSpecialTokens: false, stops);
    private readonly CompletionAssembler _assembler = new(mode);
    private int _toolCalls;

    public int Index => index;
    public int Tokens { get; private set; }
    public bool StoppedByString { get; private set; }
    public List<int> Ids { get; } = new();

    /// <summary>Takes the next token; returns the deltas it makes certain.</summary>
    public IReadOnlyList<CompletionDelta> Push(SequenceToken token)
    {
        if (StoppedByString) return [];
        Tokens++;
        Ids.Add(token.Id);
        StreamChunk chunk = _decoder.Push(token.Id);
        if (chunk.Stopped) StoppedByString = true;
        return Count(_assembler.Append(chunk.Text));
    }

    /// <summary>Ends the choice: remaining deltas, the final message and the OpenAI finish reason.</summary>
    public IReadOnlyList<CompletionDelta> Finish(FinishReason reason, out ParsedCompletion message, out string finishReason)
    {
        var deltas = new List<CompletionDelta>();
        if (!StoppedByString) deltas.AddRange(Count(_assembler.Append(_decoder.Flush().Text)));
        deltas.AddRange(Count(_assembler.Finish(out message)));
        finishReason = _toolCalls > 0 ? "tool_calls"
            : StoppedByString ? "stop"
            : reason is FinishReason.MaxTokens or FinishReason.ContextLimit ? "length" : "stop";
        return deltas;
    }

    public object LogprobEntry(TokenLogprob lp) => new
    {
        token = tokenizer.Decode([lp.Id]),
        logprob = lp.Logprob,
        bytes = Bytes(lp.Id),
        top_logprobs = lp.Top.Select(t => new { token = tokenizer.Decode([t.Id]), logprob = t.Logprob, bytes = Bytes(t.Id) }).ToArray(),
    };

    // OpenAI sends bytes as an array of integers (a byte[] would serialise as base64).
    private int[] Bytes(int id) => System.Text.Encoding.UTF8.GetBytes(tokenizer.Decode([id])).Select(b => (int)b).ToArray();

    private IReadOnlyList<CompletionDelta> Count(IReadOnlyList<CompletionDelta> deltas)
    {
        foreach (CompletionDelta d in deltas) if (d.Kind == CompletionDeltaKind.ToolCall) _toolCalls++;
        return deltas;
    }
}
