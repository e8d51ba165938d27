// Per-sequence memory of one attention layer: the window ring, the compressed entries, the
// compressors' partial blocks and the indexer keys. The layer reads and writes it; it never owns it.
using System.Numerics;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.State;

public sealed class AttentionState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Ratio { get; }
    /// <summary>Ring of window rows: position p lives in slot p % Window.Capacity.</summary>
    public KvStore<T> Window { get; }
    /// <summary>Compressed entries (entry j pools positions [j r, (j+1) r)); null for ratio 0.</summary>
    public KvStore<T>? Compressed { get; }
    public CompressorHistory<T>? CompressorRows { get; }
    /// <summary>Indexer keys, one per compressed entry (ratio 4 only).</summary>
    public IndexKeyStore<T>? IndexKeys { get; }
    public CompressorHistory<T>? IndexerRows { get; }
    /// <summary>Number of compressed entries produced so far.</summary>
    public int CompressedCount { get; internal set; }

    public AttentionState(ModelConfig c, int ratio, int maxRollback)
    {
        Ratio = ratio;
        Window = new KvStore<T>(c.NopeHeadDim, c.RopeHeadDim, c.WindowSize + maxRollback);
        if (ratio > 0)
        {
            int coff = ratio == 4 ? 2 : 1;
            Compressed = new KvStore<T>(c.NopeHeadDim, c.RopeHeadDim, 0);
            CompressorRows = new CompressorHistory<T>(coff * c.HeadDim, coff * ratio + maxRollback);
            if (ratio == 4)
            {
                IndexKeys = new IndexKeyStore<T>(c.IndexHeadDim, 0);
                IndexerRows = new CompressorHistory<T>(2 * c.IndexHeadDim, 2 * ratio + maxRollback);
            }
        }
    }

    private AttentionState(AttentionState<T> o, int entries)
    {
        Ratio = o.Ratio;
        Window = o.Window.Clone(o.Window.Capacity);
        Compressed = o.Compressed?.Clone(Math.Min(entries, o.Compressed.Capacity));
        CompressorRows = o.CompressorRows?.Clone();
        IndexKeys = o.IndexKeys?.Clone(Math.Min(entries, o.IndexKeys.Capacity));
        IndexerRows = o.IndexerRows?.Clone();
        CompressedCount = o.CompressedCount;
    }

    /// <summary>
    /// An independent copy that behaves exactly like this memory from here on (prefix reuse).
    /// <paramref name="entries"/>: compressed entries worth keeping (those a rollback may re-expose included).
    /// </summary>
    internal AttentionState<T> Clone(int entries) => new(this, entries);

    public long BytesAllocated => Window.BytesAllocated + (Compressed?.BytesAllocated ?? 0) + (CompressorRows?.BytesAllocated ?? 0)
        + (IndexKeys?.BytesAllocated ?? 0) + (IndexerRows?.BytesAllocated ?? 0);

    /// <summary>Forgets everything at positions >= length (entries that pooled them included).</summary>
    internal void Truncate(int length)
    {
        if (Ratio > 0) CompressedCount = Math.Min(CompressedCount, length / Ratio);
    }
}
