// Sink attention of several query heads over the same keys (V4: one shared KV row per token for all
// heads). float32 takes heads four at a time: each key row is loaded once for four dot products, and
// the weighted sum runs column block by column block with four register accumulators, so the keys
// are read twice per four heads instead of twice per head. Leftover heads (and AVX-512-less machines)
// take SinkAttention.Attend one by one; other precisions the scalar twin per head.
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class SinkAttentionHeads
{
    private const int Group = 4;

    /// <summary>
    /// For every head h of q [G, D] (G = sinks.Length): SinkAttention.Attend(q_h, keys, scale, sinks[h],
    /// scores[h n, (h + 1) n), destination[h D, (h + 1) D)) with n = keys.Length / D keys. float32 sums
    /// in another order than the one-head kernel (relative differences of order 1e-6); nothing is allocated.
    /// </summary>
    public static void Attend<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> keys, T scale, ReadOnlySpan<T> sinks, Span<T> scores, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = sinks.Length;
        if (g == 0) return;
        if (q.Length % g != 0) throw new ArgumentException($"sink attention: {q.Length} query values are not {g} heads");
        int d = q.Length / g, n = d == 0 ? 0 : keys.Length / d;
        if (scores.Length < g * n) throw new ArgumentException($"sink attention: scores holds {scores.Length} values for {g} x {n}");
        if (destination.Length < g * d) throw new ArgumentException($"sink attention: destination holds {destination.Length} values, need {g} x {d}");
        int h = 0;
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && d >= 16 && keys.Length == n * d)
            for (; h + Group <= g; h += Group)
                AttendFour(MemoryMarshal.Cast<T, float>(q.Slice(h * d, Group * d)), MemoryMarshal.Cast<T, float>(keys), float.CreateTruncating(scale),
                    MemoryMarshal.Cast<T, float>(sinks.Slice(h, Group)), MemoryMarshal.Cast<T, float>(scores.Slice(h * n, Group * n)),
                    MemoryMarshal.Cast<T, float>(destination.Slice(h * d, Group * d)), n, d);
        for (; h < g; h++)
            SinkAttention.Attend(q.Slice(h * d, d), keys, scale, sinks[h], scores.Slice(h * n, n), destination.Slice(h * d, d));
    }

    private static unsafe void AttendFour(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, float scale, ReadOnlySpan<float> sinks, Span<float> s, Span<float> o, int n, int d)
    {
        o[..(Group * d)].Clear();
        if (n == 0) return;
        fixed (float* pq = q, pk = keys, ps = s, po = o)
        {
            // 1. scaled dots of the four heads, one key row load per four FMAs              s [4, n]
            float* dots = stackalloc float[Group];
            for (int i = 0; i < n; i++)
            {
                MatMulDot.Rows4(pk + (long)i * d, pq, pq + d, pq + 2 * d, pq + 3 * d, d, dots);
                for (int r = 0; r < Group; r++) ps[r * n + i] = dots[r] * scale;
            }
            // 2. per head: p_i = exp(s_i - m) / (sum_j exp(s_j - m) + exp(sink - m))       s [4, n]
            for (int r = 0; r < Group; r++)
            {
                float* sr = ps + r * n;
                float m = float.NegativeInfinity;
                for (int i = 0; i < n; i++) if (sr[i] > m) m = sr[i];
                float sum = 0;
                for (int i = 0; i < n; i++) { sr[i] = MathF.Exp(sr[i] - m); sum += sr[i]; }
                float inv = 1f / (sum + MathF.Exp(sinks[r] - m));
                for (int i = 0; i < n; i++) sr[i] *= inv;
            }
            // 3. o_r = sum_i p_ri k_i, 16 columns at a time in four registers               o [4, D]
            int j = 0;
            for (; j + 16 <= d; j += 16)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < n; i++)
                {
                    var k = Vector512.Load(pk + (long)i * d + j);
                    a0 = Vector512.FusedMultiplyAdd(k, Vector512.Create(ps[i]), a0);
                    a1 = Vector512.FusedMultiplyAdd(k, Vector512.Create(ps[n + i]), a1);
                    a2 = Vector512.FusedMultiplyAdd(k, Vector512.Create(ps[2 * n + i]), a2);
                    a3 = Vector512.FusedMultiplyAdd(k, Vector512.Create(ps[3 * n + i]), a3);
                }
                a0.Store(po + j); a1.Store(po + d + j); a2.Store(po + 2 * d + j); a3.Store(po + 3 * d + j);
            }
            for (; j < d; j++)
                for (int r = 0; r < Group; r++)
                {
                    float acc = 0;
                    for (int i = 0; i < n; i++) acc = MathF.FusedMultiplyAdd(pk[(long)i * d + j], ps[r * n + i], acc);
                    po[r * d + j] = acc;
                }
        }
    }
}
