// The engine's inputs and outputs, in token ids only: a request (prompt ids, sampling, limits,
// stop condition, logit processors, logprobs, optional existing memory to continue), the streamed
// token events and the per-request result. Every front end (generate, chat, serve, IChatClient)
// speaks these types to the one InferenceEngine.
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Generation;

public enum FinishReason
{
    /// <summary>An end-of-sequence id was generated (it is part of Ids and was streamed).</summary>
    Eos,
    /// <summary>The stop condition (e.g. a stop string) ended generation after the last id.</summary>
    Stop,
    /// <summary>MaxNewTokens were generated.</summary>
    MaxTokens,
    /// <summary>Prompt + generated tokens reached the context (see <see cref="ContextRule"/>).</summary>
    ContextLimit,
    /// <summary>The cancellation token fired; Ids holds what was generated until then.</summary>
    Cancelled,
}

/// <summary>
/// A tokenizer-agnostic stop rule supplied by the front end (a text front end checks stop strings
/// by detokenising). Called on the engine thread once per generated id, in order, EOS included.
/// </summary>
public interface IStopCondition
{
    /// <summary>Takes the next generated id; true when generation must stop after it.</summary>
    bool ShouldStop(int id);
}

/// <summary>Builds stop conditions from a function (e.g. a tokenizer-side matcher's Push).</summary>
public static class StopCondition
{
    public static IStopCondition From(Func<int, bool> shouldStop) => new FuncStop(shouldStop);

    private sealed class FuncStop(Func<int, bool> f) : IStopCondition
    {
        public bool ShouldStop(int id) => f(id);
    }
}

public sealed record GenerationRequest
{
    /// <summary>Ids to feed before generating (the whole prompt, or the new part when Sequence continues a conversation). Not empty.</summary>
    public required IReadOnlyList<int> PromptIds { get; init; }
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>Ids that end generation; null = the model's EosTokenIds.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
    public IStopCondition? StopCondition { get; init; }
    /// <summary>Request-specific logit processors (forced tokens, grammars), applied before the sampler chain's own steps.</summary>
    public IReadOnlyList<ILogitProcessor>? LogitProcessors { get; init; }
    /// <summary>-1: no logprobs; 0: the chosen token's; k: also the k most likely alternatives.</summary>
    public int TopLogprobs { get; init; } = -1;
    /// <summary>Draft with the model's MTP head (or <see cref="DraftSource"/>) and verify in one multi-token Forward.</summary>
    public bool Speculative { get; init; }
    /// <summary>Replaces the MTP head as the draft (tests, other drafters); implies Speculative.</summary>
    public IDraftSource? DraftSource { get; init; }
    /// <summary>Replaces the model's head with a block drafter (tests: forced blocks); implies Speculative.</summary>
    public IBlockDraftSource? BlockDraftSource { get; init; }
    /// <summary>
    /// Memory to continue (the caller keeps ownership; it must have been created with useDraftHead
    /// when speculative). Null = a sequence from the engine's pool (or the prefix cache), freed at the end.
    /// </summary>
    public ISequence? Sequence { get; init; }
    /// <summary>Rollback slack of an engine-owned sequence (speculation needs >= 1).</summary>
    public int MaxRollback { get; init; } = 16;
    /// <summary>Tokens per prefill Forward; null = the engine's setting.</summary>
    public int? PrefillChunk { get; init; }
    /// <summary>Feed the prompt and generate nothing; the result carries the last position's logits (restoring memory, diagnostics).</summary>
    public bool PrefillOnly { get; init; }
    /// <summary>Prompt lengths worth keeping in the prefix cache (e.g. the end of a shared system prompt).</summary>
    public IReadOnlyList<int>? CachePoints { get; init; }
    /// <summary>
    /// With Sequence: the prefix-cache key of what it already holds (one per position; an image prompt's
    /// span positions carry keys mixing the image's content hash, see ImagePrefill). The engine then keeps
    /// a copy of the finished conversation as a snapshot keyed SequenceKey + PromptIds + the generated ids.
    /// </summary>
    public IReadOnlyList<int>? SequenceKey { get; init; }

    public bool UsesDraft => Speculative || DraftSource is not null || BlockDraftSource is not null;
}

/// <summary>Log-probability of a chosen id under the model's distribution, with the top alternatives.</summary>
public sealed record TokenLogprob(int Id, float Logprob, IReadOnlyList<(int Id, float Logprob)> Top);

/// <summary>One generated token: request index in the batch, id, its index among the generated tokens, logprobs if asked.</summary>
public readonly record struct GeneratedToken(int Request, int Id, int Index, TokenLogprob? Logprob = null);

public sealed record GenerationResult(
    int Request,
    IReadOnlyList<int> Ids,
    FinishReason Finish,
    int PromptTokens,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    SpeculativeStats? Speculative)
{
    /// <summary>Prompt tokens taken from the prefix cache instead of being computed.</summary>
    public int CachedPromptTokens { get; init; }
    /// <summary>Logits [VocabSize] after the last prompt id, for a PrefillOnly request.</summary>
    public float[]? LastLogits { get; init; }
    /// <summary>From submission to the first generated token (queueing and prefill included).</summary>
    public TimeSpan TimeToFirstToken { get; init; }
    /// <summary>Tokens after the first (which comes from the prefill) per second of decoding.</summary>
    public double DecodeTokensPerSecond => Ids.Count > 1 && DecodeTime > TimeSpan.Zero ? (Ids.Count - 1) / DecodeTime.TotalSeconds : 0;
    public double PrefillTokensPerSecond => PrefillTime > TimeSpan.Zero ? (PromptTokens - CachedPromptTokens) / PrefillTime.TotalSeconds : 0;
}

/// <summary>A streamed event: a token, or the completion of one request.</summary>
public readonly record struct GenerationEvent(GeneratedToken? Token, GenerationResult? Completed);
