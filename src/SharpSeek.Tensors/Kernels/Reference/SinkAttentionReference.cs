// Plain scalar twin of SinkAttention: softmax over the keys with the sink logit in the denominator,
// written exactly as the reference model computes it (sequential sums, one key at a time).
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class SinkAttentionReference
{
    /// <summary>
    /// s_i = scale (q . k_i); m = max_i s_i; denom = sum_i exp(s_i - m) + exp(sink - m);
    /// destination = sum_i exp(s_i - m) / denom * k_i (zero with no keys). See SinkAttention.Attend.
    /// </summary>
    public static void Attend<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> keys, T scale, T sink, Span<T> scores, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = q.Length, n = keys.Length / d;
        Span<T> o = destination[..d];
        o.Clear();
        T m = T.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<T> k = keys.Slice(i * d, d);
            T dot = T.Zero;
            for (int j = 0; j < d; j++) dot += q[j] * k[j];
            scores[i] = dot * scale;
            if (scores[i] > m) m = scores[i];
        }
        T sum = T.Zero;
        for (int i = 0; i < n; i++) { scores[i] = T.Exp(scores[i] - m); sum += scores[i]; }
        T denom = sum + T.Exp(sink - m);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<T> k = keys.Slice(i * d, d);
            T p = scores[i] / denom;
            for (int j = 0; j < d; j++) o[j] += p * k[j];
        }
    }
}
