// The generator's inputs and outputs: a request (prompt ids, sampling, limits, stop checker,
// optional existing memory to continue), the streamed token events and the per-request result.
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Generation;

public enum FinishReason
{
    /// <summary>An end-of-sequence id was generated (it is part of Ids).</summary>
    Eos,
    /// <summary>The stop checker (e.g. a stop string) ended generation.</summary>
    Stop,
    /// <summary>MaxNewTokens were generated.</summary>
    MaxTokens,
    /// <summary>The sequence memory is full: the last token could not be fed back.</summary>
    ContextLimit,
    /// <summary>The cancellation token fired; Ids holds what was generated until then.</summary>
    Cancelled,
}

/// <summary>
/// Text-level stop conditions, implemented where text exists (the CLI/server wrap the tokenizer's
/// streaming decoder). Called once per generated token, in order.
/// </summary>
public interface IStopChecker
{
    /// <summary>Takes the next generated id; true when generation must stop after it.</summary>
    bool Accept(int id);
}

public sealed record GenerationRequest
{
    /// <summary>Ids to feed before generating (the whole prompt, or the new part when Sequence continues a conversation). Not empty.</summary>
    public required IReadOnlyList<int> PromptIds { get; init; }
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>Ids that end generation; null = the model's EosTokenIds.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
    public IStopChecker? StopChecker { get; init; }
    /// <summary>Draft with the model's MTP head (or <see cref="DraftSource"/>) and verify in one multi-token Forward.</summary>
    public bool Speculative { get; init; }
    /// <summary>Replaces the MTP head as the draft (tests, other drafters); implies Speculative.</summary>
    public IDraftSource? DraftSource { get; init; }
    /// <summary>
    /// Memory to continue (the caller keeps ownership; it must have been created with useDraftHead
    /// when speculative). Null = a sequence rented from the generator's pool and freed at the end.
    /// </summary>
    public ISequence? Sequence { get; init; }
    /// <summary>Rollback slack of a rented sequence (speculation needs >= 1).</summary>
    public int MaxRollback { get; init; } = 16;
    /// <summary>Tokens per prefill Forward (bounds the logits buffer to chunk * vocab floats).</summary>
    public int PrefillChunk { get; init; } = 256;

    public bool UsesDraft => Speculative || DraftSource is not null;
}

/// <summary>One generated token: request index in the batch, id, and its index among the generated tokens.</summary>
public readonly record struct GeneratedToken(int Request, int Id, int Index);

public sealed record GenerationResult(
    int Request,
    IReadOnlyList<int> Ids,
    FinishReason Finish,
    int PromptTokens,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    SpeculativeStats? Speculative)
{
    /// <summary>Tokens after the first (which comes from the prefill) per second of decoding.</summary>
    public double DecodeTokensPerSecond => Ids.Count > 1 && DecodeTime > TimeSpan.Zero ? (Ids.Count - 1) / DecodeTime.TotalSeconds : 0;
    public double PrefillTokensPerSecond => PrefillTime > TimeSpan.Zero ? PromptTokens / PrefillTime.TotalSeconds : 0;
}

/// <summary>A streamed event: a token, or the completion of one request.</summary>
public readonly record struct GenerationEvent(GeneratedToken? Token, GenerationResult? Completed);
