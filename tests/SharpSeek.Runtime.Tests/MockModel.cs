// A deterministic stand-in for ILanguageModel: the logits after a context are a pure function of
// the whole context (a hash seeds a xoshiro stream), so any correct feeding order, chunking or
// rollback gives bit-identical logits and any bookkeeping error shows. The draft head follows the
// same protocol as the V4 adaptor (lags by one, ForwardDraft consumes the pending position) and
// agrees with the main model on a configurable fraction of positions.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Tests;

public sealed class MockModel(int vocab = 32, int maxContext = 256, bool hasDraft = true, double draftAgreement = 0.6, IReadOnlyList<int>? eos = null)
    : IBatchLanguageModel
{
    public int VocabSize => vocab;
    public int MaxContext => maxContext;
    public IReadOnlyList<int> EosTokenIds { get; } = eos ?? [];
    public bool HasDraftHead => hasDraft;
    public int ForwardCalls { get; private set; }
    public int BatchCalls { get; private set; }
    public int TokensFed { get; private set; }
    /// <summary>Scale of the logits (larger = peakier distributions).</summary>
    public float Scale { get; init; } = 3f;

    public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
    {
        if (useDraftHead && !hasDraft) throw new InvalidOperationException("no draft head");
        return new MockSequence(maxRollback, useDraftHead);
    }

    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        var s = (MockSequence)sequence;
        if (s.Disposed) throw new ObjectDisposedException("sequence");
        if (s.Length + ids.Length > maxContext) throw new ArgumentOutOfRangeException(nameof(ids), "context full");
        ForwardCalls++;
        TokensFed += ids.Length;
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(ids));
            s.Ids.Add(ids[i]);
            MainLogits(s.Ids, logits.Slice(i * vocab, vocab));
        }
        s.HighWater = Math.Max(s.HighWater, s.Length);
        if (s.UseDraft) s.DraftLength = Math.Max(s.DraftLength, s.Length - 1);
    }

    public void ForwardBatch(IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits)
    {
        BatchCalls++;
        for (int i = 0; i < sequences.Count; i++) { Forward(sequences[i], ids.Slice(i, 1), logits.Slice(i * vocab, vocab)); ForwardCalls--; }
        ForwardCalls++;
    }

    public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits)
    {
        var s = (MockSequence)sequence;
        if (!s.UseDraft) throw new InvalidOperationException("sequence without draft head");
        if (s.DraftLength != s.Length - 1) throw new InvalidOperationException($"draft head at {s.DraftLength}, main at {s.Length}");
        var context = new List<int>(s.Ids) { nextId };
        ulong h = Hash(context);
        if ((h >> 11) * (1.0 / (1UL << 53)) < draftAgreement) MainLogits(context, logits);
        else Fill(h ^ 0xABCDEF, logits);
        s.DraftLength = s.Length;
    }

    /// <summary>The logits the main model gives after <paramref name="context"/>.</summary>
    public void MainLogits(IReadOnlyList<int> context, Span<float> logits) => Fill(Hash(context), logits);

    private void Fill(ulong seed, Span<float> logits)
    {
        var rng = new Xoshiro256StarStar(seed);
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)((rng.NextDouble() * 2 - 1) * Scale);
    }

    private static ulong Hash(IReadOnlyList<int> ids)
    {
        ulong h = 1469598103934665603UL;
        foreach (int id in ids) { h ^= (ulong)id + 0x9E37; h *= 1099511628211UL; h ^= h >> 29; }
        return h;
    }

    public sealed class MockSequence(int maxRollback, bool useDraft) : ISequence
    {
        public List<int> Ids { get; } = new();
        public bool UseDraft => useDraft;
        public bool Disposed { get; private set; }
        public int HighWater { get; set; }
        public int Length => Ids.Count;
        public int DraftLength { get; set; }
        public int MaxRollback => maxRollback;
        public long BytesAllocated => Disposed ? 0 : 1000 + 8L * Ids.Count;

        public void Truncate(int length)
        {
            if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length));
            // Stricter than "Length - length": the oldest position a ring could still hold.
            if (HighWater - length > maxRollback) throw new InvalidOperationException($"rollback of {HighWater - length} beyond {maxRollback}");
            Ids.RemoveRange(length, Length - length);
            DraftLength = Math.Min(DraftLength, Math.Max(0, length - 1));
        }

        public ISequence Fork()
        {
            if (Disposed) throw new ObjectDisposedException("sequence");
            var copy = new MockSequence(maxRollback, useDraft) { HighWater = HighWater, DraftLength = DraftLength };
            copy.Ids.AddRange(Ids);
            return copy;
        }

        public void Dispose() => Disposed = true;
    }
}
