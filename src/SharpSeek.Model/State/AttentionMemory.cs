// What a block's attention memory is: the statement of what it needs (LayerMemoryPlan, made by the
// architecture file, DeepSeekV4.MemoryPlan) and the operations attention performs on it
// (IAttentionMemory). The layer never sees slots, rings, capacities or codecs; AttentionState is the
// implementation. A layer gets its memory by block index (SequenceState.Memory), which is where
// V4.1's cross-layer sharing of compressed entries would plug in; a row format (e.g. FP4 compressed
// KV) is one more codec in RowCodecs.cs named by the plan. Nothing downstream re-derives "ratio 4
// means indexed": that rule is ModelConfig.KindOfRatio.
using System.Numerics;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.State;

public sealed record LayerMemoryPlan
{
    /// <summary>Block index (main layers 0.., then the MTP blocks).</summary>
    public required int Block { get; init; }
    public required AttentionKind Kind { get; init; }
    /// <summary>Positions pooled into one compressed entry (0 for window-only layers).</summary>
    public required int Ratio { get; init; }
    public required int WindowSize { get; init; }
    public required int HeadDim { get; init; }
    public required int RopeDim { get; init; }
    /// <summary>Width of an indexer key (used by indexed layers only).</summary>
    public required int IndexHeadDim { get; init; }
    public required RowFormat WindowFormat { get; init; }
    public required RowFormat CompressedFormat { get; init; }
    public required RowFormat IndexKeyFormat { get; init; }

    public bool HasCompressed => Kind != AttentionKind.Window;
    public bool HasIndexKeys => Kind == AttentionKind.Indexed;
    /// <summary>Indexed layers' compressors pool two overlapping blocks: twice the channels, twice the rows.</summary>
    public int CompressorOverlap => Kind == AttentionKind.Indexed ? 2 : 1;
    public int CompressorWidth => CompressorOverlap * HeadDim;
    /// <summary>Partial-block rows a compressor keeps (before rollback slack).</summary>
    public int CompressorRows => CompressorOverlap * Ratio;
    /// <summary>The indexer's own compressor always overlaps.</summary>
    public int IndexerWidth => 2 * IndexHeadDim;
    public int IndexerRows => 2 * Ratio;

    /// <summary>The compressed entry that position <paramref name="pos"/> completes or contributes to.</summary>
    public int EntryOf(long pos) => (int)(pos / Ratio);

    /// <summary>Compressed entries finished once positions [0, <paramref name="length"/>) are in: length / ratio.</summary>
    public int EntriesWithin(long length) => Ratio > 0 ? (int)(length / Ratio) : 0;

    /// <summary>Window rows a query at <paramref name="pos"/> sees: positions [pos - n + 1, pos].</summary>
    public int WindowRowsAt(long pos) => (int)Math.Min(WindowSize, pos + 1);
}

/// <summary>The memory plan of a whole model: one entry per main layer, one per MTP block.</summary>
public sealed record ModelMemoryPlan(IReadOnlyList<LayerMemoryPlan> Layers, IReadOnlyList<LayerMemoryPlan> Mtp);

public interface IAttentionMemory<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The statement this memory was built from (kind, ratio, window, formats).</summary>
    LayerMemoryPlan Plan { get; }

    /// <summary>Stores the window row (HeadDim values) of position <paramref name="pos"/>.</summary>
    void AppendWindow(long pos, ReadOnlySpan<T> row);

    /// <summary>The stored (decoded) window row of position <paramref name="pos"/>.</summary>
    void ReadWindow(long pos, Span<T> dst);

    /// <summary>
    /// The window rows a query at <paramref name="pos"/> sees, oldest first, into dst [n, HeadDim];
    /// returns n = Plan.WindowRowsAt(pos).
    /// </summary>
    int GatherWindow(long pos, Span<T> dst);

    /// <summary>Partial-block rows of the layer's KV compressor.</summary>
    CompressorHistory<T> CompressorRows { get; }

    /// <summary>Partial-block rows of the indexer's compressor (indexed layers).</summary>
    CompressorHistory<T> IndexerRows { get; }

    /// <summary>Stores compressed entry <paramref name="entry"/> (HeadDim values, encoded by the plan's codec).</summary>
    void AppendCompressed(int entry, ReadOnlySpan<T> row);

    /// <summary>The stored (decoded) compressed entry.</summary>
    void ReadCompressed(int entry, Span<T> dst);

    /// <summary>The chosen compressed entries, in the given order, into dst [entries.Length, HeadDim].</summary>
    void GatherCompressed(ReadOnlySpan<int> entries, Span<T> dst);

    /// <summary>Stores the indexer key of compressed entry <paramref name="entry"/> (IndexHeadDim values).</summary>
    void AppendIndexKey(int entry, ReadOnlySpan<T> key);

    /// <summary>The stored (decoded) indexer key of entry <paramref name="entry"/>.</summary>
    void ReadIndexKey(int entry, Span<T> dst);
}
