// Top-k selection: indices of the k largest values, largest first, ties broken by lower index.
// O(n log k) with a small insertion buffer; the reference twin is ElementwiseReference.TopK.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels;

public static class TopKSelect
{
    public static void Select<T>(ReadOnlySpan<T> x, int k, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k > x.Length) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k} of {x.Length} values");
        if (indices.Length < k) throw new ArgumentException("index buffer too short", nameof(indices));
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k}: k must not be negative");
        if (k == 0) return;                                   // nothing to select (indices[k - 1] below needs k >= 1)
        int count = 0;
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            if (T.IsNaN(v)) v = T.NegativeInfinity;
            if (count == k && !(v > Val(x, indices[k - 1]))) continue;
            int pos = count < k ? count++ : k - 1;
            // Insert keeping descending order; an equal value goes after earlier indices.
            while (pos > 0 && v > Val(x, indices[pos - 1])) { indices[pos] = indices[pos - 1]; pos--; }
            indices[pos] = i;
        }
    }

    private static T Val<T>(ReadOnlySpan<T> x, int i) where T : unmanaged, IFloatingPointIeee754<T>
        => T.IsNaN(x[i]) ? T.NegativeInfinity : x[i];
}
