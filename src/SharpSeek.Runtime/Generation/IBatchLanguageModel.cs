// The hook for true batching: a model that advances several sequences in a single call. Token i is
// appended to sequences[i]; a sequence may hold several consecutive tokens (a speculative step feeds
// the pending token and its draft). The engine uses it when the model implements it and otherwise
// falls back to one Forward per sequence (BatchForward.Run), so the loop never changes.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Generation;

public interface IBatchLanguageModel : ILanguageModel
{
    /// <summary>Appends ids[i] to sequences[i] (a sequence's tokens consecutive, in order) and writes logits [ids.Length, VocabSize].</summary>
    void ForwardBatch(IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits);
}

public static class BatchForward
{
    /// <summary>One decode step for several sequences: one batched call if available and useful, else one ForwardSteps per run of tokens.</summary>
    public static void Run(ILanguageModel model, IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits)
    {
        int v = model.VocabSize;
        if (sequences.Count != ids.Length) throw new ArgumentException($"{ids.Length} ids for {sequences.Count} sequence slots");
        bool single = true;
        for (int i = 1; i < sequences.Count && single; i++) single = ReferenceEquals(sequences[i], sequences[0]);
        if (!single && model is IBatchLanguageModel batched) { batched.ForwardBatch(sequences, ids, logits[..(ids.Length * v)]); return; }
        for (int i = 0; i < sequences.Count;)
        {
            int j = i + 1;
            while (j < sequences.Count && ReferenceEquals(sequences[j], sequences[i])) j++;
            model.ForwardSteps(sequences[i], ids[i..j], logits.Slice(i * v, (j - i) * v));
            i = j;
        }
    }
}
