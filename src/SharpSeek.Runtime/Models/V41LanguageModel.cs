// ILanguageModel over the DeepSeek V4.1 network in float32. It holds only the model; each sequence
// carries its V41SequenceState (window rows kept for window + maxRollback positions; rollback within that
// is exact) and, with the draft head, its DSparkState: every fed position's main_hidden extends the DSpark
// window, so the draft head is always in step with the main model. Decode-step calls (ForwardSteps, the
// speculative verification) give every token the logits of feeding it alone.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41;
using SharpSeek.Model.State.V41;

namespace SharpSeek.Runtime.Models;

public sealed class V41LanguageModel(DeepSeekV41<float> model, int? maxContext = null) : IBlockDraftModel
{
    private readonly float[] _markov = new float[model.Draft?.MarkovRank ?? 0];
    private float[]? _markovBias, _draftBlock;   // draft scratch, reused (the engine's one worker calls the draft head)

    public DeepSeekV41<float> Network => model;
    public int VocabSize => model.VocabSize;
    public int MaxContext { get; } = Math.Min(maxContext ?? model.Config.Base.MaxPositions, model.Config.Base.MaxPositions);
    public IReadOnlyList<int> EosTokenIds { get; } = [model.Config.Base.EosTokenId];
    /// <summary>The DSpark head (ForwardDraft = its first block row; DraftBlock = the whole block).</summary>
    public bool HasDraftHead => model.Draft is not null;
    public int DraftBlockSize => model.Draft?.BlockSize ?? 0;

    /// <summary>Tokens per network call for long prompts (chunks of 2 or more equal one-shot prefill).</summary>
    public const int MaxChunk = 512;

    public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
    {
        if (useDraftHead && model.Draft is null) throw new InvalidOperationException("this V4.1 checkpoint has no DSpark draft head (dspark_block_size 0)");
        return new V41Sequence(model.NewState(maxRollback), useDraftHead ? model.Draft!.NewState(maxRollback) : null, maxRollback);
    }

    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits) => Feed(sequence, ids, logits, stepwise: false);

    public void ForwardSteps(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits) => Feed(sequence, ids, logits, stepwise: true);

    private void Feed(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits, bool stepwise)
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
            float[] hidden = s.Draft is null ? [] : new float[len * model.Draft!.HiddenWidth];
            model.Forward(ids.Slice(c0, len), s.State, logits.Slice(c0 * v, len * v), mainHidden: hidden, stepwise: stepwise);
            if (s.Draft is not null) model.Draft!.Extend(hidden, len, s.Draft);
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

    public void DraftBlock(ISequence sequence, int anchor, Span<float> logits)
    {
        var s = Cast(sequence);
        if (s.Draft is null) throw new InvalidOperationException("the sequence was created without the draft head (useDraftHead)");
        DSparkBlock<float> block = model.Draft!.Draft(anchor, s.Draft);
        block.Logits.CopyTo(logits);
    }

    public void CorrectDraftRow(int previous, Span<float> row)
    {
        if (model.Draft is null) throw new InvalidOperationException("this V4.1 checkpoint has no DSpark draft head");
        model.Draft.AddMarkov(previous, row, _markov, _markovBias ??= new float[VocabSize]);
    }

    /// <summary>The first row of the DSpark block after <paramref name="nextId"/>, Markov-corrected: a depth-1 draft.</summary>
    public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits)
    {
        float[] block = _draftBlock ??= new float[DraftBlockSize * VocabSize];
        DraftBlock(sequence, nextId, block);
        block.AsSpan(0, VocabSize).CopyTo(logits);
        CorrectDraftRow(nextId, logits);
    }

    private static V41Sequence Cast(ISequence s) => s as V41Sequence ?? throw new ArgumentException("the sequence was not created by this V4.1 model");

    private sealed class V41Sequence(V41SequenceState<float> state, DSparkState<float>? draft, int maxRollback) : ISequence
    {
        public V41SequenceState<float> State => state;
        public DSparkState<float>? Draft => draft;
        public int Length => state.Length;
        public int DraftLength => draft?.Length ?? 0;
        public int MaxRollback => maxRollback;
        public long BytesAllocated => state.Bytes + (draft?.Bytes ?? 0);
        public void Truncate(int length)
        {
            state.Rollback(length);
            draft?.Rollback(length);
        }
        public ISequence Fork() => new V41Sequence(state.Clone(), draft?.Clone(), maxRollback);
        public void Dispose() { }
    }
}
