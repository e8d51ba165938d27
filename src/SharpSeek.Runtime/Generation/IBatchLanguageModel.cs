// The hook for true batching: a model that can advance several sequences by one token each in a
// single call. The generator uses it when the model implements it and otherwise falls back to one
// Forward per sequence (BatchForward.Run), so a batched backend plugs in without touching the loop.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Generation;

public interface IBatchLanguageModel : ILanguageModel
{
    /// <summary>Appends ids[i] to sequences[i] and writes logits [sequences.Count, VocabSize].</summary>
    void ForwardBatch(IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits);
}

public static class BatchForward
{
    /// <summary>One decode step for several sequences: one batched call if available, else a loop.</summary>
    public static void Run(ILanguageModel model, IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits)
    {
        int v = model.VocabSize;
        if (model is IBatchLanguageModel batched) { batched.ForwardBatch(sequences, ids, logits[..(sequences.Count * v)]); return; }
        for (int i = 0; i < sequences.Count; i++) model.Forward(sequences[i], ids.Slice(i, 1), logits.Slice(i * v, v));
    }
}
