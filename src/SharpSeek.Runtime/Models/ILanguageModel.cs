// What the runtime needs from a model: token ids in, logits out, per-sequence memory kept outside
// the model, and (optionally) the MTP draft head. The generator, the sampler chain, speculative
// decoding and batching work only through this interface, so they are tested with a mock model.
namespace SharpSeek.Runtime.Models;

public interface ILanguageModel
{
    int VocabSize { get; }
    /// <summary>Largest number of positions a sequence may hold.</summary>
    int MaxContext { get; }
    /// <summary>End-of-sequence ids of this model (may be empty).</summary>
    IReadOnlyList<int> EosTokenIds { get; }
    /// <summary>Whether <see cref="ForwardDraft"/> is available (a multi-token-prediction head).</summary>
    bool HasDraftHead { get; }

    /// <summary>
    /// A fresh, empty sequence memory. Rolling back at most <paramref name="maxRollback"/> tokens is
    /// supported. With <paramref name="useDraftHead"/> every Forward also feeds the draft head all
    /// new positions whose next id is known, so it always lags the main model by exactly one position.
    /// </summary>
    ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false);

    /// <summary>
    /// Appends ids to the sequence (any number: prefill, chunk, one decode step or a multi-token
    /// verification) and writes logits [ids.Length, VocabSize]: row i predicts the token after ids[i].
    /// </summary>
    void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits);

    /// <summary>
    /// As <see cref="Forward"/>, but writes only the logits of the last id [VocabSize]: what a prefill
    /// needs. Models override it to skip the other rows (the vocabulary projection is the largest).
    /// </summary>
    void ForwardLast(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        if (ids.IsEmpty) return;
        float[] all = new float[ids.Length * VocabSize];
        Forward(sequence, ids, all);
        all.AsSpan((ids.Length - 1) * VocabSize, VocabSize).CopyTo(logits);
    }

    /// <summary>
    /// As <see cref="Forward"/> for generated tokens (a speculative verification): row i equals what feeding
    /// ids[i] alone after ids[..i] would give. Models whose multi-token calls follow another rule override it.
    /// </summary>
    void ForwardSteps(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits) => Forward(sequence, ids, logits);

    /// <summary>
    /// MTP draft for the last position fed to the main model: given the id that follows it
    /// (<paramref name="nextId"/>, e.g. the token just sampled from the main logits), writes logits
    /// [VocabSize] predicting the token after <paramref name="nextId"/>. Consumes that position of the
    /// draft head's memory. Needs a sequence created with useDraftHead.
    /// </summary>
    void ForwardDraft(ISequence sequence, int nextId, Span<float> logits);
}

/// <summary>One sequence's memory (window, compressed KV, indexer keys, draft-head memory).</summary>
public interface ISequence : IDisposable
{
    /// <summary>Tokens fed to the main model so far.</summary>
    int Length { get; }
    /// <summary>Positions consumed by the draft head so far (&lt;= Length).</summary>
    int DraftLength { get; }
    int MaxRollback { get; }
    /// <summary>
    /// Forgets the tokens at positions >= length, exactly (main memory, and draft-head positions whose
    /// next id was one of the forgotten tokens).
    /// </summary>
    void Truncate(int length);
    /// <summary>Bytes of memory this sequence holds.</summary>
    long BytesAllocated { get; }
    /// <summary>
    /// An independent copy: feeding the same ids to the copy and to this sequence gives bit-identical
    /// logits, and either can roll back as far as this one could. The prefix cache is built on it.
    /// </summary>
    ISequence Fork();
}
