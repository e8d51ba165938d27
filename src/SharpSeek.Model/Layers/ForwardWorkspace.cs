// Scratch of the layers during one forward call: activations of each step (by Scratch slot),
// gathered keys, per-head scores, indexer scores and choices, one-row buffers. Rented from
// ArrayPool.Shared on first use, grown on demand and returned on Dispose. The caller owns it: one
// per concurrent forward call (never shared by two at once; nothing is static), kept across calls
// so that a decode step allocates nothing. It also carries the call's optional profiler.
using System.Buffers;
using System.Numerics;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

/// <summary>
/// The activation buffers of a forward call, one per use. A slot is owned by one step of one layer
/// kind and is free again when that step returns (layers run one after another), so slots never alias.
/// </summary>
public enum Scratch
{
    BlockX, BlockF, BlockPost, BlockComb, BlockPre, HcMix,
    AttnQr, AttnQ, AttnKv, AttnRope, AttnOg, AttnUg, AttnU,
    CmpKv, CmpScore, IdxKv, IdxScore, IdxQ, IdxW, IdxHead,
    GateScores, GateWeights, MoeX, MoeY, MoeWeights, MoeGather, ExpertG, ExpertU, SharedY,
    Streams, HeadY,
}

public sealed class ForwardWorkspace<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _keys = [], _attentionScratch = [], _indexScores = [], _indexKeys = [], _row = [], _entry = [], _indexEntry = [];
    private int[] _chosen = [], _experts = [], _rows = [], _indexChoices = [], _indexVisible = [];
    private byte[] _picks = [], _seen = [];
    private MatMulProduct[] _products = [];
    private readonly T[][] _slots = new T[Enum.GetValues<Scratch>().Length][];

    public ForwardWorkspace() => System.Array.Fill(_slots, []);

    /// <summary>The optional timing sink of this forward call (bench --profile).</summary>
    public IForwardProfiler? Profiler { get; set; }

    /// <summary>The optional weight read-ahead of this forward call (bench --read-ahead).</summary>
    public IWeightReadAhead<T>? ReadAhead { get; set; }

    /// <summary>Charges the time since the previous lap to <paramref name="op"/> when profiling.</summary>
    public void Lap(ForwardOp op) => Profiler?.Lap(op);

    /// <summary>Slot <paramref name="slot"/> with at least <paramref name="values"/> values (not cleared: the step writes it).</summary>
    public T[] Array(Scratch slot, int values) => Grow(ref _slots[(int)slot], values);

    /// <summary>Exactly <paramref name="values"/> values of slot <paramref name="slot"/> (not cleared).</summary>
    public Span<T> Span(Scratch slot, int values) => Array(slot, values).AsSpan(0, values);

    /// <summary>Gathered key rows [n, D]: the array itself, so parallel heads can share it.</summary>
    public T[] Keys(int values) => Grow(ref _keys, values);

    /// <summary>Scratch of one SinkAttentionBlock call (transposed keys, per-head scores).</summary>
    public Span<T> AttentionScratch(int values) => Grow(ref _attentionScratch, values).AsSpan(0, values);

    /// <summary>Compressed entries each token of an attention block picked [tokens + 1, entries] (not cleared).</summary>
    public Span<byte> Picks(int n) => Grow(ref _picks, n).AsSpan(0, n);

    /// <summary>The keys each token of an attention block sees [tokens, keys] (not cleared).</summary>
    public Span<byte> Seen(int n) => Grow(ref _seen, n).AsSpan(0, n);

    /// <summary>Indexer scores of the visible compressed entries.</summary>
    public Span<T> IndexScores(int n) => Grow(ref _indexScores, n).AsSpan(0, n);

    /// <summary>Decoded index keys [entries, index_head_dim] of one indexer selection.</summary>
    public Span<T> IndexKeys(int n) => Grow(ref _indexKeys, n).AsSpan(0, n);

    /// <summary>The indexer's picks of a group of tokens [tokens, index_topk] (kept while the group attends; not cleared).</summary>
    public Span<int> IndexChoices(int n) => Grow(ref _indexChoices, n).AsSpan(0, n);

    /// <summary>Compressed entries each token of a group sees.</summary>
    public Span<int> IndexVisible(int n) => Grow(ref _indexVisible, n).AsSpan(0, n);

    /// <summary>Ids of the chosen compressed entries.</summary>
    public Span<int> Chosen(int n) => Grow(ref _chosen, n).AsSpan(0, n);

    /// <summary>Experts chosen per token [T, k] (MoE routing).</summary>
    public Span<int> Experts(int n) => Grow(ref _experts, n).AsSpan(0, n);

    /// <summary>Token rows sent to one expert (MoE dispatch).</summary>
    public Span<int> Rows(int n) => Grow(ref _rows, n).AsSpan(0, n);

    /// <summary>Products of one batched matmul region (a decode step's experts); the caller fills them.</summary>
    public MatMulProduct[] Products(int n) => Grow(ref _products, n);

    /// <summary>One window row (taps).</summary>
    public Span<T> Row(int n) => Grow(ref _row, n).AsSpan(0, n);

    /// <summary>One finished compressed entry.</summary>
    public Span<T> Entry(int n) => Grow(ref _entry, n).AsSpan(0, n);

    /// <summary>One finished indexer key.</summary>
    public Span<T> IndexEntry(int n) => Grow(ref _indexEntry, n).AsSpan(0, n);

    public void Dispose()
    {
        Return(ref _keys); Return(ref _attentionScratch); Return(ref _picks); Return(ref _seen); Return(ref _indexScores);
        Return(ref _row); Return(ref _entry); Return(ref _indexEntry); Return(ref _chosen);
        Return(ref _indexKeys); Return(ref _indexChoices); Return(ref _indexVisible);
        Return(ref _experts); Return(ref _rows); Return(ref _products);
        for (int i = 0; i < _slots.Length; i++) Return(ref _slots[i]);
    }

    private static TA[] Grow<TA>(ref TA[] a, int n)
    {
        if (a.Length >= n) return a;
        int want = Math.Max(n, 2 * a.Length);
        Return(ref a);
        a = ArrayPool<TA>.Shared.Rent(want);
        return a;
    }

    private static void Return<TA>(ref TA[] a)
    {
        if (a.Length > 0) ArrayPool<TA>.Shared.Return(a);
        a = [];
    }
}
