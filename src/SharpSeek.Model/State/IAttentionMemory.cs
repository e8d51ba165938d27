// What an attention layer reads and writes of one sequence's memory, and nothing else: the layer
// never sees slots, rings, capacities or codecs. AttentionState is the implementation; a layer gets
// its memory by block index (SequenceState.Memory), which is where cross-layer sharing of
// compressed entries or a different compressed-KV codec would plug in.
using System.Numerics;

namespace SharpSeek.Model.State;

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
