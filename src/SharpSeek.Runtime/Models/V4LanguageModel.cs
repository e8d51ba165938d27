// ILanguageModel over the DeepSeek V4 network in float32. It holds only the model; each sequence
// carries its SequenceState and the final hidden streams of the position the MTP head still needs,
// or, when the model was given a DSpark head (0731-style V4; the draft head then replaces MTP for
// this instance), its DSparkState: every fed position's main_hidden extends the DSpark window.
using System.Collections.Concurrent;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Layers.V41;
using SharpSeek.Model.State;
using SharpSeek.Model.State.V41;
using SharpSeek.Runtime.Generation;

namespace SharpSeek.Runtime.Models;

public sealed class V4LanguageModel(DeepSeekV4<float> model, int? maxContext = null, DSparkHead<float>? dspark = null) : IBatchLanguageModel, IBlockDraftModel
{
    private readonly float[] _markov = new float[dspark?.MarkovRank ?? 0];
    private float[]? _markovBias, _draftBlock;   // DSpark draft scratch, reused (the engine's one worker calls the draft head)

    public DeepSeekV4<float> Network => model;
    /// <summary>The DSpark head this instance drafts with (null: the MTP block, if any).</summary>
    public DSparkHead<float>? DSpark => dspark;
    public int VocabSize => model.VocabSize;
    public int MaxContext { get; } = Math.Min(maxContext ?? model.Config.MaxPositions, model.Config.MaxPositions);
    public IReadOnlyList<int> EosTokenIds { get; } = [model.Config.EosTokenId];
    public bool HasDraftHead => dspark is not null || model.Config.NumMtpLayers > 0;   // MTP: on every pipeline stage, though only the last holds the blocks
    public int DraftBlockSize => dspark?.BlockSize ?? 0;

    public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
    {
        if (useDraftHead && !HasDraftHead) throw new InvalidOperationException("this checkpoint has no MTP block to draft with");
        DSparkState<float>? spark = useDraftHead && dspark is not null ? dspark.NewState(maxRollback) : null;
        return new V4Sequence(new SequenceState<float>(model.Config, maxRollback), model.Config.HcMult * model.Config.Dim, useDraftHead && spark is null, spark);
    }

    /// <summary>Tokens per network call: a long prompt goes in chunks so activations stay bounded (chunked = one-shot).</summary>
    public const int MaxChunk = 512;

    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits) => Forward(sequence, ids, logits, null);

    public void ForwardLast(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits) => Forward(sequence, ids, logits, 1);

    /// <summary>
    /// Appends ids in chunks of at most <see cref="MaxChunk"/> tokens and writes the logits of the last
    /// <paramref name="logitRows"/> ids [logitRows, VocabSize] (all by default); <paramref name="profiler"/>
    /// is charged the time of every step.
    /// </summary>
    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits, int? logitRows, IForwardProfiler? profiler = null)
    {
        ForwardWorkspace<float> work = RentWorkspace(profiler);
        try { ForwardChunks(sequence, ids, logits, logitRows, work); }
        finally { ReturnWorkspace(work); }
    }

    private void ForwardChunks(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits, int? logitRows, ForwardWorkspace<float> work)
    {
        var s = Cast(sequence);
        int start = s.State.Length, n = ids.Length, rows = logitRows ?? n;
        if (n == 0) return;
        if (start + n > MaxContext)
            throw new ArgumentOutOfRangeException(nameof(ids), $"context of {start + n} tokens exceeds the limit of {MaxContext}");
        if (rows < 0 || rows > n) throw new ArgumentOutOfRangeException(nameof(logitRows), $"{rows} logit rows for {n} ids");
        int firstRow = n - rows, v = VocabSize;
        for (int c0 = 0; c0 < n; c0 += MaxChunk)
        {
            int c1 = Math.Min(n, c0 + MaxChunk), from = Math.Max(c0, firstRow), chunkStart = s.State.Length;
            ReadOnlySpan<int> chunk = ids[c0..c1];
            Span<float> chunkLogits = from < c1 ? logits.Slice((from - firstRow) * v, (c1 - from) * v) : default;
            // The final streams are kept only for the draft head.
            float[] hidden = s.UseDraft ? new float[chunk.Length * s.HiddenWidth] : [];
            float[] main = s.Spark is null ? [] : new float[chunk.Length * dspark!.HiddenWidth];
            model.Forward(chunk, s.State, chunkLogits, hidden, logitRows: Math.Max(0, c1 - from), work: work, mainHidden: main);
            FeedDraft(s, chunkStart, chunk, hidden, work);
            if (s.Spark is not null) dspark!.Extend(main, chunk.Length, s.Spark);
        }
    }

    /// <summary>
    /// One call for several sequences: every weight is read once per step for all of them. Token i
    /// goes to sequences[i]; a sequence's tokens are consecutive (a speculative step brings two).
    /// </summary>
    public void ForwardBatch(IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits)
    {
        if (sequences.Count != ids.Length) throw new ArgumentException($"{ids.Length} ids for {sequences.Count} sequences");
        var states = new SequenceState<float>[ids.Length];
        var runs = new List<(V4Sequence Seq, int First, int Count, int Start)>();
        var seen = new HashSet<V4Sequence>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < ids.Length; i++)
        {
            V4Sequence s = Cast(sequences[i]);
            states[i] = s.State;
            if (runs.Count > 0 && ReferenceEquals(runs[^1].Seq, s)) { runs[^1] = runs[^1] with { Count = runs[^1].Count + 1 }; continue; }
            if (!seen.Add(s)) throw new ArgumentException("a sequence's tokens must be consecutive in one batch step");
            runs.Add((s, i, 1, s.State.Length));
        }
        foreach (var r in runs)
            if (r.Start + r.Count > MaxContext) throw new ArgumentOutOfRangeException(nameof(ids), $"context of {r.Start + r.Count} tokens exceeds the limit of {MaxContext}");
        int w = model.Config.HcMult * model.Config.Dim;
        float[] hidden = new float[ids.Length * w];
        int mw = dspark?.HiddenWidth ?? 0;
        float[] main = runs.Any(r => r.Seq.Spark is not null) ? new float[ids.Length * mw] : [];
        ForwardWorkspace<float> work = RentWorkspace(null);
        try
        {
            model.ForwardBatch(ids, states, logits, hidden, work: work, mainHidden: main);
            foreach (var r in runs)
            {
                FeedDraft(r.Seq, r.Start, ids.Slice(r.First, r.Count), hidden.AsSpan(r.First * w, r.Count * w).ToArray(), work);
                if (r.Seq.Spark is { } spark) dspark!.Extend(main.AsSpan(r.First * mw, r.Count * mw), r.Count, spark);
            }
        }
        finally { ReturnWorkspace(work); }
    }

    /// <summary>Weight read-ahead given to every forward call (a checkpoint bigger than memory), or null.</summary>
    public IWeightReadAhead<float>? ReadAhead { get; set; }

    // Scratch kept across calls (one per concurrent caller) so that a decode step allocates nothing.
    private readonly ConcurrentBag<ForwardWorkspace<float>> _workspaces = [];

    private ForwardWorkspace<float> RentWorkspace(IForwardProfiler? profiler)
    {
        if (!_workspaces.TryTake(out var work)) work = new ForwardWorkspace<float>();
        work.Profiler = profiler;
        work.ReadAhead = ReadAhead;
        return work;
    }

    private void ReturnWorkspace(ForwardWorkspace<float> work)
    {
        work.Profiler = null;
        _workspaces.Add(work);
    }

    /// <summary>Feeds the MTP head every position whose next id is now known: [MtpLength, Length - 1).</summary>
    private void FeedDraft(V4Sequence s, int start, ReadOnlySpan<int> ids, float[] hidden, ForwardWorkspace<float> work)
    {
        if (!s.UseDraft) return;
        int w = s.HiddenWidth, n = ids.Length;
        int from = s.State.MtpLength, to = s.State.Length - 1;
        if (to > from)
        {
            if (from < start - 1) throw new InvalidOperationException($"the draft head is {start - 1 - from} positions behind");
            int m = to - from;
            float[] h = new float[m * w];
            int[] next = new int[m];
            for (int p = from; p < to; p++)
            {
                int i = p - from;
                if (p < start) s.HiddenAt(p, start).CopyTo(h.AsSpan(i * w, w)); else hidden.AsSpan((p - start) * w, w).CopyTo(h.AsSpan(i * w, w));
                next[i] = ids[p + 1 - start];
            }
            model.ForwardMtp(h, next, s.State, default, work: work);   // only the draft head's memory advances
        }
        s.KeepHidden(start, hidden);
    }

    public void DraftBlock(ISequence sequence, int anchor, Span<float> logits)
    {
        var s = Cast(sequence);
        if (s.Spark is null) throw new InvalidOperationException("the sequence was created without the DSpark draft head (useDraftHead on a model given one)");
        dspark!.Draft(anchor, s.Spark).Logits.CopyTo(logits);
    }

    public void CorrectDraftRow(int previous, Span<float> row)
    {
        if (dspark is null) throw new InvalidOperationException("this model instance has no DSpark draft head");
        dspark.AddMarkov(previous, row, _markov, _markovBias ??= new float[VocabSize]);
    }

    public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits)
    {
        var s = Cast(sequence);
        if (s.Spark is not null)
        {
            // depth-1 draft with the DSpark head: its first block row, Markov-corrected
            float[] block = _draftBlock ??= new float[DraftBlockSize * VocabSize];
            DraftBlock(sequence, nextId, block);
            block.AsSpan(0, VocabSize).CopyTo(logits);
            CorrectDraftRow(nextId, logits);
            return;
        }
        if (!s.UseDraft) throw new InvalidOperationException("the sequence was created without useDraftHead");
        if (s.State.MtpLength != s.State.Length - 1)
            throw new InvalidOperationException($"the draft head is at position {s.State.MtpLength}, the main model at {s.State.Length}: draft needs exactly one pending position");
        model.ForwardMtp(s.HiddenAt(s.State.Length - 1, s.State.Length).ToArray(), [nextId], s.State, logits);
    }

    private static V4Sequence Cast(ISequence s) => s as V4Sequence ?? throw new ArgumentException("sequence was not created by this model");

    private sealed class V4Sequence(SequenceState<float> state, int hiddenWidth, bool useDraft, DSparkState<float>? spark, float[]? hidden = null) : ISequence
    {
        // Final streams of the most recent positions (the rollback slack + 1): the MTP inputs.
        private readonly float[] _hidden = hidden ?? (useDraft ? new float[(state.MaxRollback + 1) * hiddenWidth] : []);
        private int Slots => state.MaxRollback + 1;

        public SequenceState<float> State => state;
        public int HiddenWidth => hiddenWidth;
        public bool UseDraft => useDraft;
        public DSparkState<float>? Spark => spark;
        public int Length => state.Length;
        public int DraftLength => spark?.Length ?? state.MtpLength;
        public int MaxRollback => state.MaxRollback;
        public long BytesAllocated => state.BytesAllocated + _hidden.Length * 4L + (spark?.Bytes ?? 0);

        public void KeepHidden(int firstPos, float[] rows)
        {
            if (!useDraft) return;
            int n = rows.Length / hiddenWidth;
            for (int i = Math.Max(0, n - Slots); i < n; i++)
                rows.AsSpan(i * hiddenWidth, hiddenWidth).CopyTo(_hidden.AsSpan((firstPos + i) % Slots * hiddenWidth, hiddenWidth));
        }

        /// <summary>Kept streams of position <paramref name="pos"/>, while the ring still holds the positions before <paramref name="length"/>.</summary>
        public ReadOnlySpan<float> HiddenAt(int pos, int length)
        {
            if (pos < length - Slots || pos >= length) throw new InvalidOperationException($"hidden state of position {pos} is no longer kept");
            return _hidden.AsSpan(pos % Slots * hiddenWidth, hiddenWidth);
        }

        public void Truncate(int length)
        {
            state.Truncate(length);
            spark?.Rollback(length);
        }
        public ISequence Fork() => new V4Sequence(state.Clone(), hiddenWidth, useDraft, spark?.Clone(), (float[])_hidden.Clone());
        public void Dispose() { }
    }
}
