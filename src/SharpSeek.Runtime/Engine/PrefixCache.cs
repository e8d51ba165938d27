// Prefix reuse: snapshots of sequence memory keyed by the token ids they hold, so a request whose
// prompt starts with ids already computed (the next turn of a conversation, a shared system prompt
// and tool list, an agent loop resending its history) forks that memory instead of prefilling it.
// Forks are deep copies (ISequence.Fork), so a running sequence never shares memory with an entry
// and eviction can never disturb one; results are bit-identical to a cold prefill (chunked =
// one-shot). Entries are evicted least-recently-used under a byte budget. A snapshot of length L
// serves a prompt sharing c < L ids when the memory can roll back from L to c (ring slack).
// Owned by the engine thread; the counters are read by metrics from any thread, and a front end
// preparing an image prompt may TryFork from its own thread (every entry access holds one lock).
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Engine;

public sealed class PrefixCache : IDisposable
{
    private readonly List<Entry> _entries = new();
    private readonly Lock _lock = new();
    private long _clock;
    private long _bytes;

    /// <param name="budgetBytes">Most bytes the snapshots may hold together (0 disables the cache).</param>
    /// <param name="minTokens">Shortest prefix worth a snapshot.</param>
    public PrefixCache(long budgetBytes, int minTokens = 32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(minTokens, 1);
        BudgetBytes = budgetBytes;
        MinTokens = minTokens;
    }

    public long BudgetBytes { get; }
    public int MinTokens { get; }
    public bool Enabled => BudgetBytes > 0;
    public int Count => _entries.Count;
    public long BytesInUse => Interlocked.Read(ref _bytes);

    /// <summary>A usable snapshot for <paramref name="prompt"/>: the longest reusable prefix (at most prompt.Length - 1 ids).</summary>
    public Match? Find(ReadOnlySpan<int> prompt, bool draft, int maxRollback, bool touch = true)
    {
        lock (_lock) return FindLocked(prompt, draft, maxRollback, touch);
    }

    /// <summary>Find and Fork in one step (safe from any thread): an independent copy of the longest usable prefix of <paramref name="prompt"/>, or null.</summary>
    public (ISequence Sequence, int Length)? TryFork(ReadOnlySpan<int> prompt, bool draft, int maxRollback)
    {
        lock (_lock) return FindLocked(prompt, draft, maxRollback, touch: true) is { } m ? (Fork(m), m.Length) : null;
    }

    private Match? FindLocked(ReadOnlySpan<int> prompt, bool draft, int maxRollback, bool touch)
    {
        Match? best = null;
        foreach (Entry e in _entries)
        {
            if (e.Draft != draft || e.Sequence.MaxRollback < maxRollback) continue;
            int common = CommonPrefix(e.Ids, prompt);
            int use = Math.Min(common, prompt.Length - 1);
            // Truncating from the snapshot's length to `use` must stay within its rollback slack.
            if (use < MinTokens || e.Ids.Length - use > e.Sequence.MaxRollback) continue;
            if (best is null || use > best.Value.Length) best = new Match(e, use);
        }
        if (touch && best is { } m) m.Entry.LastUse = ++_clock;
        return best;
    }

    /// <summary>The longest prefix of <paramref name="prompt"/> any entry shares, usable or not (where a new snapshot pays off).</summary>
    public int LongestShared(ReadOnlySpan<int> prompt, bool draft)
    {
        int best = 0;
        lock (_lock)
        {
            foreach (Entry e in _entries)
                if (e.Draft == draft) best = Math.Max(best, CommonPrefix(e.Ids, prompt));
        }
        return best;
    }

    /// <summary>An independent copy of the match's memory, rolled back to the matched length.</summary>
    public ISequence Fork(Match match)
    {
        ISequence copy;
        lock (_lock) copy = match.Entry.Sequence.Fork();
        if (copy.Length > match.Length) copy.Truncate(match.Length);
        return copy;
    }

    /// <summary>
    /// Keeps <paramref name="sequence"/> (which holds exactly <paramref name="ids"/>) as a snapshot;
    /// the cache owns it from now on and disposes it when evicted. Returns false (and disposes it)
    /// when it is not worth keeping or does not fit the budget.
    /// </summary>
    public bool Add(ReadOnlySpan<int> ids, ISequence sequence, bool draft)
    {
        if (!Enabled || ids.Length < MinTokens || sequence.Length != ids.Length || sequence.BytesAllocated > BudgetBytes)
        {
            sequence.Dispose();
            return false;
        }
        lock (_lock) AddLocked(ids, sequence, draft);
        return true;
    }

    private void AddLocked(ReadOnlySpan<int> ids, ISequence sequence, bool draft)
    {
        // An entry holding exactly the same ids is replaced (the newer one has the most recent use).
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            Entry e = _entries[i];
            if (e.Draft == draft && e.Ids.AsSpan().SequenceEqual(ids)) Remove(i);
        }
        var entry = new Entry(ids.ToArray(), sequence, draft, sequence.BytesAllocated) { LastUse = ++_clock };
        _entries.Add(entry);
        Interlocked.Add(ref _bytes, entry.Bytes);
        Evict(BudgetBytes);
    }

    /// <summary>Evicts least-recently-used entries until at most <paramref name="bytes"/> are held.</summary>
    public void Evict(long bytes)
    {
        lock (_lock)
        {
            while (_entries.Count > 0 && BytesInUse > bytes)
            {
                int lru = 0;
                for (int i = 1; i < _entries.Count; i++) if (_entries[i].LastUse < _entries[lru].LastUse) lru = i;
                Remove(lru);
            }
        }
    }

    public void Clear() => Evict(0);

    public void Dispose() => Clear();

    private void Remove(int i)
    {
        Entry e = _entries[i];
        _entries.RemoveAt(i);
        Interlocked.Add(ref _bytes, -e.Bytes);
        e.Sequence.Dispose();
    }

    private static int CommonPrefix(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.CommonPrefixLength(b);

    public sealed class Entry(int[] ids, ISequence sequence, bool draft, long bytes)
    {
        public int[] Ids { get; } = ids;
        public ISequence Sequence { get; } = sequence;
        public bool Draft { get; } = draft;
        public long Bytes { get; } = bytes;
        public long LastUse { get; set; }
    }

    /// <summary>A snapshot and how many of the prompt's ids it provides.</summary>
    public readonly record struct Match(Entry Entry, int Length);
}
