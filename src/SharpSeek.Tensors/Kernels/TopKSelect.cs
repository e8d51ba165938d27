// Top-k selection: indices of the k largest values, largest first, ties broken by lower index (NaN
// counts as -inf): the first k of the strict order (value desc, index asc). A bounded min-heap of k
// indices in the output itself, then an in-place heap sort: O(n log k), no scratch (the indexer
// picks 512 of thousands of entries per query). The reference twin is ElementwiseReference.TopK.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels;

public static class TopKSelect
{
    public static void Select<T>(ReadOnlySpan<T> x, int k, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k > x.Length) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k} of {x.Length} values");
        if (indices.Length < k) throw new ArgumentException("index buffer too short", nameof(indices));
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k}: k must not be negative");
        if (k == 0) return;                                   // nothing to select
        Span<int> heap = indices[..k];
        // 1. the k best so far in a heap whose root is the worst of them
        for (int i = 0; i < k; i++) { heap[i] = i; SiftUp(x, heap, i); }
        for (int i = k; i < x.Length; i++)
            if (Better(x, i, heap[0])) { heap[0] = i; SiftDown(x, heap, 0, k); }
        // 2. heap sort: the worst goes last, so the output ends up best first
        for (int end = k - 1; end > 0; end--)
        {
            (heap[0], heap[end]) = (heap[end], heap[0]);
            SiftDown(x, heap, 0, end);
        }
    }

    /// <summary>Whether entry a comes before entry b: larger value (NaN as -inf), then lower index.</summary>
    private static bool Better<T>(ReadOnlySpan<T> x, int a, int b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T va = Val(x, a), vb = Val(x, b);
        return va > vb || (va == vb && a < b);
    }

    private static void SiftUp<T>(ReadOnlySpan<T> x, Span<int> heap, int i) where T : unmanaged, IFloatingPointIeee754<T>
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(x, heap[parent], heap[i])) break;     // parent already worse or equal
            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown<T>(ReadOnlySpan<T> x, Span<int> heap, int i, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        while (true)
        {
            int worst = i, l = 2 * i + 1, r = l + 1;
            if (l < n && Better(x, heap[worst], heap[l])) worst = l;
            if (r < n && Better(x, heap[worst], heap[r])) worst = r;
            if (worst == i) return;
            (heap[worst], heap[i]) = (heap[i], heap[worst]);
            i = worst;
        }
    }

    private static T Val<T>(ReadOnlySpan<T> x, int i) where T : unmanaged, IFloatingPointIeee754<T>
        => T.IsNaN(x[i]) ? T.NegativeInfinity : x[i];
}
