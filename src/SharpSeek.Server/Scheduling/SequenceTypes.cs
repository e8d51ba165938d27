// What the batch scheduler takes and gives back, in token ids only (no text): a request (prompt,
// sampling, limits, logprobs), the stream of generated tokens and the outcome of a sequence.
using System.Threading.Channels;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Server.Scheduling;

public sealed record SequenceRequest
{
    public required IReadOnlyList<int> PromptIds { get; init; }
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>Ids that end the sequence (not streamed); null = the model's EOS ids.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
    /// <summary>-1: no logprobs; 0: the chosen token's; k: also the k most likely alternatives.</summary>
    public int TopLogprobs { get; init; } = -1;
    /// <summary>Ids emitted instead of sampled once the output reaches a trigger (tool_choice); null = none.</summary>
    public ForcedTokens? Forced { get; init; }
}

/// <summary>Log-probability of a chosen id under the model's distribution, with the top alternatives.</summary>
public sealed record TokenLogprob(int Id, float Logprob, IReadOnlyList<(int Id, float Logprob)> Top);

/// <summary>One generated token (never an EOS id).</summary>
public readonly record struct SequenceToken(int Id, TokenLogprob? Logprob);

public sealed record SequenceOutcome(FinishReason Finish, int PromptTokens, int GeneratedTokens, TimeSpan TimeToFirstToken, TimeSpan Elapsed);

/// <summary>The caller's side of a submitted sequence: its tokens as they come, then its outcome.</summary>
public sealed class SequenceHandle
{
    internal SequenceHandle(ChannelReader<SequenceToken> tokens, Task<SequenceOutcome> completion)
    {
        Tokens = tokens;
        Completion = completion;
    }

    public ChannelReader<SequenceToken> Tokens { get; }
    /// <summary>Completes after the last token was written; faults if the sequence failed.</summary>
    public Task<SequenceOutcome> Completion { get; }
}
