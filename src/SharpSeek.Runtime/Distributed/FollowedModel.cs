// Rank 0's model under `serve --parallel expert|pipeline`: the engine calls it like any model; each
// call is first sent to the other ranks as a FollowerCommand and then run here, under one lock, so
// every rank runs the same calls in the same order (their collectives meet) and one thread at a time
// touches MPI. Sequences are wrapped to carry the slot number the followers know them by.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Distributed;

public sealed class FollowedModel(IBatchLanguageModel inner, ICommandChannel channel) : IBatchLanguageModel
{
    private readonly Lock _gate = new();
    private int _nextSlot;
    private bool _shutdown;

    public ILanguageModel Inner => inner;
    public int VocabSize => inner.VocabSize;
    public int MaxContext => inner.MaxContext;
    public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;
    public bool HasDraftHead => inner.HasDraftHead;

    public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false)
    {
        lock (_gate)
        {
            int slot = ++_nextSlot;
            Send(FollowerCommand.Encode(FollowerOp.Create, slot, maxRollback, useDraftHead ? 1 : 0));
            return new Followed(this, slot, inner.CreateSequence(maxRollback, useDraftHead));
        }
    }

    public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        var s = Cast(sequence);
        lock (_gate) { Send(FollowerCommand.Encode(FollowerOp.Forward, s.Slot, payload: ids)); inner.Forward(s.Inner, ids, logits); }
    }

    public void ForwardLast(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        var s = Cast(sequence);
        lock (_gate) { Send(FollowerCommand.Encode(FollowerOp.ForwardLast, s.Slot, payload: ids)); inner.ForwardLast(s.Inner, ids, logits); }
    }

    public void ForwardSteps(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
    {
        var s = Cast(sequence);
        lock (_gate) { Send(FollowerCommand.Encode(FollowerOp.ForwardSteps, s.Slot, payload: ids)); inner.ForwardSteps(s.Inner, ids, logits); }
    }

    public void ForwardBatch(IReadOnlyList<ISequence> sequences, ReadOnlySpan<int> ids, Span<float> logits)
    {
        if (sequences.Count != ids.Length) throw new ArgumentException($"{ids.Length} ids for {sequences.Count} sequences");
        var payload = new int[2 * ids.Length];
        var inners = new ISequence[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            var s = Cast(sequences[i]);
            payload[i] = s.Slot; payload[ids.Length + i] = ids[i]; inners[i] = s.Inner;
        }
        lock (_gate) { Send(FollowerCommand.Encode(FollowerOp.ForwardBatch, payload: payload)); inner.ForwardBatch(inners, ids, logits); }
    }

    public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits)
    {
        var s = Cast(sequence);
        lock (_gate) { Send(FollowerCommand.Encode(FollowerOp.ForwardDraft, s.Slot, nextId)); inner.ForwardDraft(s.Inner, nextId, logits); }
    }

    /// <summary>Tells the followers the server has stopped (they return); later calls fail.</summary>
    public void Shutdown()
    {
        lock (_gate)
        {
            if (_shutdown) return;
            channel.SendToFollowers(FollowerCommand.Encode(FollowerOp.Shutdown));
            _shutdown = true;
        }
    }

    private void Send(int[] message)
    {
        if (_shutdown) throw new InvalidOperationException("the followers were shut down");
        channel.SendToFollowers(message);
    }

    private Followed Cast(ISequence s) => s is Followed f && ReferenceEquals(f.Owner, this) ? f : throw new ArgumentException("sequence was not created by this model");

    private sealed class Followed(FollowedModel owner, int slot, ISequence inner) : ISequence
    {
        private bool _disposed;
        public FollowedModel Owner => owner;
        public int Slot => slot;
        public ISequence Inner => inner;
        public int Length => inner.Length;
        public int DraftLength => inner.DraftLength;
        public int MaxRollback => inner.MaxRollback;
        public long BytesAllocated => inner.BytesAllocated;

        public void Truncate(int length)
        {
            lock (owner._gate) { owner.Send(FollowerCommand.Encode(FollowerOp.Truncate, slot, length)); inner.Truncate(length); }
        }

        public ISequence Fork()
        {
            lock (owner._gate)
            {
                int copy = ++owner._nextSlot;
                owner.Send(FollowerCommand.Encode(FollowerOp.Fork, slot, copy));
                return new Followed(owner, copy, inner.Fork());
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                if (_disposed) return;
                _disposed = true;
                if (!owner._shutdown) owner.Send(FollowerCommand.Encode(FollowerOp.Free, slot));
                inner.Dispose();
            }
        }
    }
}
