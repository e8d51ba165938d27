// Owns the sequence memories of one model: creates them, frees them, and reports how many are live
// and how many bytes they hold, so a server can check that the pool is back to empty after
// cancellations. Thread-safe; the sequences themselves are used by one thread at a time.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Memory;

/// <summary>The pool has no room for another sequence.</summary>
public sealed class PoolExhaustedException(string message) : InvalidOperationException(message);

public sealed class MemoryPool
{
    private readonly ILanguageModel _model;
    private readonly HashSet<SequenceLease> _live = new();
    private readonly object _gate = new();

    /// <param name="maxSequences">Upper bound on live sequences (0 = unbounded).</param>
    public MemoryPool(ILanguageModel model, int maxSequences = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequences);
        _model = model;
        MaxSequences = maxSequences;
    }

    public ILanguageModel Model => _model;
    public int MaxSequences { get; }

    public int LiveSequences { get { lock (_gate) return _live.Count; } }

    /// <summary>Sum of <see cref="ISequence.BytesAllocated"/> over the live sequences.</summary>
    public long BytesInUse
    {
        get { lock (_gate) return _live.Sum(l => l.Sequence.BytesAllocated); }
    }

    public bool IsEmpty => LiveSequences == 0;

    /// <summary>A new empty sequence; dispose the lease (or call Free) to give its memory back.</summary>
    public SequenceLease Rent(int maxRollback = 16, bool useDraftHead = false)
    {
        CheckRoom();
        return Adopt(_model.CreateSequence(maxRollback, useDraftHead));
    }

    /// <summary>Takes charge of a sequence made elsewhere (a fork of a cached prefix).</summary>
    public SequenceLease Adopt(ISequence sequence)
    {
        CheckRoom();
        var lease = new SequenceLease(this, sequence);
        lock (_gate) _live.Add(lease);
        return lease;
    }

    /// <summary>Whether another sequence may be rented now.</summary>
    public bool HasRoom { get { lock (_gate) return MaxSequences == 0 || _live.Count < MaxSequences; } }

    private void CheckRoom()
    {
        lock (_gate)
        {
            if (MaxSequences > 0 && _live.Count >= MaxSequences)
                throw new PoolExhaustedException($"the memory pool already holds {_live.Count} sequences (limit {MaxSequences})");
        }
    }

    /// <summary>Takes a lease's sequence out of the pool without freeing it (it moves to the prefix cache).</summary>
    public ISequence Release(SequenceLease lease)
    {
        lock (_gate)
            if (!_live.Remove(lease)) throw new InvalidOperationException("the lease is not live in this pool");
        return lease.Sequence;
    }

    /// <summary>Frees a lease's sequence (idempotent).</summary>
    public void Free(SequenceLease lease)
    {
        bool removed;
        lock (_gate) removed = _live.Remove(lease);
        if (removed) lease.Sequence.Dispose();
    }

    /// <summary>Frees every live sequence (e.g. on shutdown).</summary>
    public void Clear()
    {
        SequenceLease[] all;
        lock (_gate) { all = _live.ToArray(); _live.Clear(); }
        foreach (SequenceLease l in all) l.Sequence.Dispose();
    }
}

/// <summary>A sequence on loan from a <see cref="MemoryPool"/>; Dispose returns it.</summary>
public sealed class SequenceLease : IDisposable
{
    private readonly MemoryPool _pool;

    internal SequenceLease(MemoryPool pool, ISequence sequence)
    {
        _pool = pool;
        Sequence = sequence;
    }

    public ISequence Sequence { get; }
    public void Dispose() => _pool.Free(this);
}
