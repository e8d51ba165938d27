// Plain scalar twin of SinkAttentionBlock: per token and head, the masked sink softmax over the shared
// keys written one value at a time, every dot and every output value one fused multiply-add chain in
// order (the chains the fast kernel's register tiles compute). float32 takes its exps from ExpF32Reference
// (the vector lanes' formula, about one ulp), other precisions from T.Exp.
using System.Buffers;
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class SinkAttentionBlockReference
{
    /// <summary>q [tq, G, d], keys [n, d], visible [tq, n], destination [tq, G, d]; see SinkAttentionBlock.Attend.</summary>
    public static void Attend<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> keys, int d, ReadOnlySpan<byte> visible, T scale, ReadOnlySpan<T> sinks, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = sinks.Length, tq = q.Length / (g * d), n = keys.Length / d;
        T[] rented = ArrayPool<T>.Shared.Rent(Math.Max(n, 1));
        Span<T> p = rented.AsSpan(0, n);
        for (int t = 0; t < tq; t++)
            for (int h = 0; h < g; h++)
            {
                ReadOnlySpan<T> qh = q.Slice((t * g + h) * d, d);
                ReadOnlySpan<byte> seen = visible.Slice(t * n, n);
                // s_i = scale (q . k_i), m = max over the seen keys
                T m = T.NegativeInfinity;
                for (int i = 0; i < n; i++)
                {
                    T dot = T.Zero;
                    for (int c = 0; c < d; c++) dot = T.FusedMultiplyAdd(qh[c], keys[i * d + c], dot);
                    p[i] = dot * scale;
                    if (seen[i] != 0 && p[i] > m) m = p[i];
                }
                // p_i = exp(s_i - m) / (sum over seen exp(s_j - m) + exp(sink - m)); unseen 0
                T sum = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    p[i] = seen[i] != 0 && !T.IsNegativeInfinity(m) ? Exp(p[i] - m) : T.Zero;
                    sum += p[i];
                }
                T denom = sum + Exp(sinks[h] - m);
                // o = sum_i p_i k_i, one chain per output value over all keys in order
                Span<T> o = destination.Slice((t * g + h) * d, d);
                for (int c = 0; c < d; c++)
                {
                    T acc = T.Zero;
                    for (int i = 0; i < n; i++) acc = T.FusedMultiplyAdd(p[i] / denom, keys[i * d + c], acc);
                    o[c] = acc;
                }
            }
        ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>e^x as the kernel computes it: ExpF32Reference in float32, T.Exp otherwise.</summary>
    public static T Exp<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? T.CreateTruncating(ExpF32Reference.Exp(float.CreateTruncating(x))) : T.Exp(x);
}
