// Scalar twin of IndexScoreBlock: the indexer's score of many queries against many keys, one query,
// key and head at a time, each dot one fused multiply-add chain in dimension order and the heads
// added in head order. The fast kernel computes exactly these operations, so it equals this bit for bit.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class IndexScoreBlockReference
{
    /// <summary>
    /// scores[t * stride + j] = sum_h w[t, h] * relu(q[t, h] . keys[j]) (the dot a fused multiply-add chain over
    /// i = 0..d-1, relu(x) = x &gt; 0 ? x : 0, each head's product added in head order) for the keys
    /// j &lt; counts[t] of query t; q [Q, H, d], w [Q, H] (Q = counts.Length), keys [n, d].
    /// </summary>
    public static void Score<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> w, int heads, ReadOnlySpan<T> keys, int d,
        ReadOnlySpan<int> counts, Span<T> scores, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int t = 0; t < counts.Length; t++)
        {
            ReadOnlySpan<T> qt = q.Slice(t * heads * d, heads * d), wt = w.Slice(t * heads, heads);
            for (int j = 0; j < counts[t]; j++)
            {
                ReadOnlySpan<T> k = keys.Slice(j * d, d);
                T s = T.Zero;
                for (int h = 0; h < heads; h++)
                {
                    T dot = T.Zero;
                    for (int i = 0; i < d; i++) dot = T.FusedMultiplyAdd(qt[h * d + i], k[i], dot);
                    T r = dot > T.Zero ? dot : T.Zero;
                    s += wt[h] * r;
                }
                scores[t * stride + j] = s;
            }
        }
    }
}
