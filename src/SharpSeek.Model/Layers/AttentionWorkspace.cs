// Scratch of the attention layers during one forward call: gathered keys, per-head scores, indexer
// scores and choices, one-row buffers. Rented from ArrayPool<T>.Shared on first use, grown on
// demand and returned on Dispose. The caller creates one per forward call (DeepSeekV4 does), so
// concurrent calls never share it and nothing is static: a decode step of a large model would
// otherwise allocate megabytes of keys per layer. It also carries the call's optional profiler.
using System.Buffers;
using System.Numerics;

namespace SharpSeek.Model.Layers;

public sealed class AttentionWorkspace<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _keys = [], _headScores = [], _indexScores = [], _row = [], _entry = [], _indexEntry = [];
    private int[] _chosen = [];

    /// <summary>The optional timing sink of this forward call (bench --profile).</summary>
    public IForwardProfiler? Profiler { get; init; }

    /// <summary>Charges the time since the previous lap to <paramref name="op"/> when profiling.</summary>
    public void Lap(ForwardOp op) => Profiler?.Lap(op);

    /// <summary>Gathered key rows [n, D]: the array itself, so parallel heads can share it.</summary>
    public T[] Keys(int values) => Grow(ref _keys, values);

    /// <summary>Per-head scores [H, nKeys].</summary>
    public T[] HeadScores(int values) => Grow(ref _headScores, values);

    /// <summary>Indexer scores of the visible compressed entries.</summary>
    public Span<T> IndexScores(int n) => Grow(ref _indexScores, n).AsSpan(0, n);

    /// <summary>Ids of the chosen compressed entries.</summary>
    public Span<int> Chosen(int n) => Grow(ref _chosen, n).AsSpan(0, n);

    /// <summary>One window row (taps).</summary>
    public Span<T> Row(int n) => Grow(ref _row, n).AsSpan(0, n);

    /// <summary>One finished compressed entry.</summary>
    public Span<T> Entry(int n) => Grow(ref _entry, n).AsSpan(0, n);

    /// <summary>One finished indexer key.</summary>
    public Span<T> IndexEntry(int n) => Grow(ref _indexEntry, n).AsSpan(0, n);

    public void Dispose()
    {
        Return(ref _keys); Return(ref _headScores); Return(ref _indexScores);
        Return(ref _row); Return(ref _entry); Return(ref _indexEntry); Return(ref _chosen);
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
