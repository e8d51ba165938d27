// One choice of a chat completion as it streams: token ids -> the one chat text path
// (ChatCompletionText: UTF-8, stop strings, EOS, DSML deltas) and the OpenAI logprobs entries.
using SharpSeek.Runtime.Generation;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;
using SharpSeek.Tokenization.Text;

namespace SharpSeek.Server.Api;

public sealed class ChatChoice(int index, Tokenizer tokenizer, ThinkingMode mode, IReadOnlyList<string> stops, IReadOnlyList<int> endIds)
{
    private readonly ChatCompletionText _text = new(tokenizer, mode, stops, endIds);

    public int Index => index;
    /// <summary>Generated tokens (an EOS id included).</summary>
    public int Tokens => Ids.Count;
    public List<int> Ids { get; } = new();

    /// <summary>Takes the next token; returns the deltas it makes certain.</summary>
    public IReadOnlyList<CompletionDelta> Push(GeneratedToken token)
    {
        Ids.Add(token.Id);
        return _text.Push(token.Id);
    }

    /// <summary>Ends the choice: remaining deltas, the final message and the OpenAI finish reason.</summary>
    public IReadOnlyList<CompletionDelta> Finish(GenerationResult result, out ParsedCompletion message, out string finishReason)
    {
        IReadOnlyList<CompletionDelta> deltas = _text.Finish(out message);
        finishReason = ChoiceRun.FinishReason(result, _text.ToolCalls > 0);
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
}
