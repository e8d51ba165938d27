// Per-sequence memory of one attention layer, built from its LayerMemoryPlan: the window ring, the
// compressed entries, the compressors' partial blocks and the indexer keys. It owns the position ->
// slot arithmetic; the counters (length, high-water mark) live in the sequence's SequenceLedger.
// The layer reads and writes it through IAttentionMemory; it never owns it.
using System.Numerics;

namespace SharpSeek.Model.State;

public sealed class AttentionState<T> : IAttentionMemory<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SequenceLedger _ledger;
    private readonly bool _isMtp;
    private readonly RowStore<T> _window;          // ring: position p in slot p % capacity
    private readonly RowStore<T>? _compressed;     // entry j pools positions [j r, (j+1) r)
    private readonly RowStore<T>? _indexKeys;      // one per compressed entry
    private readonly CompressorHistory<T>? _compressorRows, _indexerRows;

    public LayerMemoryPlan Plan { get; }
    public int Ratio => Plan.Ratio;

    /// <summary>Memory of the layer <paramref name="plan"/> describes, with <paramref name="slack"/> rows of rollback.</summary>
    internal AttentionState(LayerMemoryPlan plan, SequenceLedger ledger, bool isMtp, int slack)
    {
        Plan = plan; _ledger = ledger; _isMtp = isMtp;
        _window = new RowStore<T>(RowCodecs.Create<T>(plan.WindowFormat, plan.HeadDim, plan.RopeDim), plan.WindowSize + slack);
        if (plan.HasCompressed)
        {
            _compressed = new RowStore<T>(RowCodecs.Create<T>(plan.CompressedFormat, plan.HeadDim, plan.RopeDim), 0);
            _compressorRows = new CompressorHistory<T>(plan.CompressorWidth, plan.CompressorRows + slack);
        }
        if (plan.HasIndexKeys)
        {
            _indexKeys = new RowStore<T>(RowCodecs.Create<T>(plan.IndexKeyFormat, plan.IndexHeadDim, 0), 0);
            _indexerRows = new CompressorHistory<T>(plan.IndexerWidth, plan.IndexerRows + slack);
        }
    }

    private AttentionState(AttentionState<T> o, SequenceLedger ledger, int entries)
    {
        Plan = o.Plan; _ledger = ledger; _isMtp = o._isMtp;
        _window = o._window.Clone(o._window.Capacity);
        _compressed = o._compressed?.Clone(Math.Min(entries, o._compressed.Capacity));
        _compressorRows = o._compressorRows?.Clone();
        _indexKeys = o._indexKeys?.Clone(Math.Min(entries, o._indexKeys.Capacity));
        _indexerRows = o._indexerRows?.Clone();
    }

    /// <summary>
    /// An independent copy that behaves exactly like this memory from here on (prefix reuse), counted
    /// by <paramref name="ledger"/>. <paramref name="entries"/>: compressed entries worth keeping
    /// (those a rollback may re-expose included).
    /// </summary>
    internal AttentionState<T> Clone(SequenceLedger ledger, int entries) => new(this, ledger, entries);

    /// <summary>Number of compressed entries the sequence holds: every block finished within its length.</summary>
    public int CompressedCount => Plan.EntriesWithin(_isMtp ? _ledger.MtpLength : _ledger.Length);

    public long BytesAllocated => _window.BytesAllocated + (_compressed?.BytesAllocated ?? 0) + (_compressorRows?.BytesAllocated ?? 0)
        + (_indexKeys?.BytesAllocated ?? 0) + (_indexerRows?.BytesAllocated ?? 0);

    /// <summary>Bytes that do not grow with the context: the window ring and the compressors' partial blocks.</summary>
    public long FixedBytes => _window.BytesAllocated + (_compressorRows?.BytesAllocated ?? 0) + (_indexerRows?.BytesAllocated ?? 0);

    /// <summary>Bytes of one stored window row (the compressed entries use the same format by default).</summary>
    public int WindowRowBytes => _window.BytesPerRow;

    /// <summary>Bytes of one compressed entry and its index key (0 for window-only layers).</summary>
    public int EntryBytes => (_compressed?.BytesPerRow ?? 0) + (_indexKeys?.BytesPerRow ?? 0);

    public int IndexKeyBytes => _indexKeys?.BytesPerRow ?? 0;

    // ---- window ring ----

    public void AppendWindow(long pos, ReadOnlySpan<T> row) => _window.Write(WindowSlot(pos), row);

    public void ReadWindow(long pos, Span<T> dst) => _window.Read(WindowSlot(pos), dst);

    public int GatherWindow(long pos, Span<T> dst)
    {
        int n = Plan.WindowRowsAt(pos), d = Plan.HeadDim;
        long first = pos - n + 1;
        for (int i = 0; i < n; i++) _window.Read(WindowSlot(first + i), dst.Slice(i * d, d));
        return n;
    }

    private int WindowSlot(long pos) => (int)(pos % _window.Capacity);

    // ---- compressor partial blocks ----

    public CompressorHistory<T> CompressorRows => _compressorRows ?? throw NotStated("compressor rows");
    public CompressorHistory<T> IndexerRows => _indexerRows ?? throw NotStated("indexer rows");

    // ---- compressed entries and index keys (growing arrays) ----

    public void AppendCompressed(int entry, ReadOnlySpan<T> row)
    {
        var store = _compressed ?? throw NotStated("compressed entries");
        store.EnsureCapacity(entry + 1);
        store.Write(entry, row);
    }

    public void ReadCompressed(int entry, Span<T> dst) => (_compressed ?? throw NotStated("compressed entries")).Read(entry, dst);

    public void GatherCompressed(ReadOnlySpan<int> entries, Span<T> dst)
    {
        if (entries.IsEmpty) return;
        var store = _compressed ?? throw NotStated("compressed entries");
        int d = Plan.HeadDim;
        for (int i = 0; i < entries.Length; i++) store.Read(entries[i], dst.Slice(i * d, d));
    }

    public void AppendIndexKey(int entry, ReadOnlySpan<T> key)
    {
        var store = _indexKeys ?? throw NotStated("index keys");
        store.EnsureCapacity(entry + 1);
        store.Write(entry, key);
    }

    public void ReadIndexKey(int entry, Span<T> dst) => (_indexKeys ?? throw NotStated("index keys")).Read(entry, dst);

    private InvalidOperationException NotStated(string what)
        => new($"block {Plan.Block} ({Plan.Kind} attention) keeps no {what}");
}
