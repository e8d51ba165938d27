// What memory one block's attention needs, as the architecture states it (DeepSeekV4.MemoryPlan):
// its kind, ratio, window and the row formats of each store. SequenceState is built from these
// records; nothing downstream re-derives "ratio 4 means indexed" (that rule is ModelConfig.KindOfRatio).
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
    public RowFormat WindowFormat { get; init; } = RowFormat.Fp8KvWithRope;
    public RowFormat CompressedFormat { get; init; } = RowFormat.Fp8KvWithRope;
    public RowFormat IndexKeyFormat { get; init; } = RowFormat.Fp4Key;

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

    public static LayerMemoryPlan For(ModelConfig c, int block) => new()
    {
        Block = block,
        Kind = c.AttentionKindOf(block),
        Ratio = c.CompressRatio(block),
        WindowSize = c.WindowSize,
        HeadDim = c.HeadDim,
        RopeDim = c.RopeHeadDim,
        IndexHeadDim = c.IndexHeadDim,
    };
}

/// <summary>The memory plan of a whole model: one entry per main layer, one per MTP block.</summary>
public sealed record ModelMemoryPlan(IReadOnlyList<LayerMemoryPlan> Layers, IReadOnlyList<LayerMemoryPlan> Mtp);
