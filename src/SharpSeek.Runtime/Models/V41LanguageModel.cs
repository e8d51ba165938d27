// ILanguageModel over the DeepSeek V4.1 network in float32. It holds only the model; each sequence
// carries its V41SequenceState (window rows kept for window + maxRollback positions; rollback within that
// is exact). The DSpark draft head
// is not run yet (issue 22): HasDraftHead is false.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.State.V41;

namespace SharpSeek.Runtime.Models;

public sealed class V41LanguageModel(DeepSeekV41<float> model, int? maxContext = null) : ILanguageModel
{
    public DeepSeekV41<float> Network => model;
    public int VocabSize => model.VocabSize;
    public int MaxContext { get; } = Math.Min(maxContext ?? model.Config.Base.MaxPositions, model.Config.Base.MaxPositions);
    public IReadOnlyList<int> EosTokenIds { get; } = [model.Config.Base.EosTokenId];
    public bool HasDraftHead => false;

    /// <summary>Tokens per network call for long prompts (chunks of 2 or more equal one-shot prefill).</summary>
    public const int MaxChunk = 512;

    public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
    {
        if (useDraftHead) throw new InvalidOperationException("the V4.1 DSpark draft head is not available yet");
        return new V41Sequence(model.NewState(maxRollback), maxRollback);
    }

    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        var s = Cast(sequence);
        int n = ids.Length, v = VocabSize;
        if (n == 0) return;
        if (s.State.Length + n > MaxContext) throw new ArgumentOutOfRangeException(nameof(ids), $"context of {s.State.Length + n} tokens exceeds the limit of {MaxContext}");
        // chunks of MaxChunk, the tail never a lone token when avoidable (one-token calls follow the official decode rule)
        for (int c0 = 0; c0 < n;)
        {
            int len = Math.Min(MaxChunk, n - c0);
            if (n - c0 - len == 1 && len > 2) len--;
            model.Forward(ids.Slice(c0, len), s.State, logits.Slice(c0 * v, len * v));
            c0 += len;
        }
    }

    /// <summary>
    /// Feeds an expanded image prompt (ImageSpans.Expand: span tokens typed, aligner rows for the IMAGE
    /// slots) in one call; logits [ids.Length, VocabSize]. Generation then continues with Forward.
    /// </summary>
    public void ForwardImages(ISequence sequence, ReadOnlySpan<int> ids, V41ImageInput<float> images, Span<float> logits)
    {
        var s = Cast(sequence);
        if (s.State.Length + ids.Length > MaxContext) throw new ArgumentOutOfRangeException(nameof(ids), $"context of {s.State.Length + ids.Length} tokens (images expanded) exceeds the limit of {MaxContext}");
        model.Forward(ids, s.State, logits, image: images);
    }

    public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits) => throw new InvalidOperationException("the V4.1 DSpark draft head is not available yet");

    private static V41Sequence Cast(ISequence s) => s as V41Sequence ?? throw new ArgumentException("the sequence was not created by this V4.1 model");

    private sealed class V41Sequence(V41SequenceState<float> state, int maxRollback) : ISequence
    {
        public V41SequenceState<float> State => state;
        public int Length => state.Length;
        public int DraftLength => 0;
        public int MaxRollback => maxRollback;
        public long BytesAllocated => state.Bytes;
        public void Truncate(int length) => state.Rollback(length);
        public ISequence Fork() => new V41Sequence(state.Clone(), maxRollback);
        public void Dispose() { }
    }
}
