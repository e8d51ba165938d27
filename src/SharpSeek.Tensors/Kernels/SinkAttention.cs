// Softmax attention of one query head over n keys with a learned sink logit in the denominator
// (DeepSeek V4 attention: one shared row per token serves as key and value). float32 takes the
// vectorised path (System.Numerics.Tensors); other precisions the scalar twin in
// Kernels/Reference/SinkAttentionReference.cs, which is the exact reference formula.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class SinkAttention
{
    /// <summary>
    /// One head, n = keys.Length / D keys of D = q.Length values (key i = keys[i D, (i+1) D)):
    /// <code>
    /// s_i   = scale * (q . k_i)                     (written to scores[0, n))
    /// m     = max_i s_i                             (-inf when n = 0; the sink is not in the max)
    /// denom = sum_i exp(s_i - m) + exp(sink - m)
    /// o     = sum_i exp(s_i - m) / denom * k_i      (written to destination, D values)
    /// </code>
    /// With no keys o = 0. scores is caller-owned scratch of at least n values; nothing is allocated.
    /// float32 dots and multiply-adds are vectorised over D (relative differences from the reference of order 1e-6).
    /// </summary>
    public static void Attend<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> keys, T scale, T sink, Span<T> scores, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = q.Length;
        int n = Check(d, keys.Length, scores.Length, destination.Length);
        if (typeof(T) == typeof(float))
        {
            AttendF32(MemoryMarshal.Cast<T, float>(q), MemoryMarshal.Cast<T, float>(keys), float.CreateTruncating(scale), float.CreateTruncating(sink),
                MemoryMarshal.Cast<T, float>(scores)[..n], MemoryMarshal.Cast<T, float>(destination)[..d]);
            return;
        }
        SinkAttentionReference.Attend(q, keys, scale, sink, scores, destination);
    }

    private static void AttendF32(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, float scale, float sink, Span<float> s, Span<float> o)
    {
        int d = q.Length, n = s.Length;
        o.Clear();
        if (n == 0) return;
        // 1. scaled dot products and their max (vector dots over D)       s [n]
        float m = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            s[i] = TensorPrimitives.Dot(q, keys.Slice(i * d, d)) * scale;
            if (s[i] > m) m = s[i];
        }
        // 2. p_i = exp(s_i - m) and the denominator with the sink: n scalar exps are cheap next to
        //    the n D-wide dots, and stay fast from the first call (no large vector method to tier up)
        float sum = 0;
        for (int i = 0; i < n; i++) { s[i] = MathF.Exp(s[i] - m); sum += s[i]; }
        float denom = sum + MathF.Exp(sink - m);
        // 3. o = sum_i (p_i / denom) k_i (vector multiply-adds over D)     o [D]
        for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(keys.Slice(i * d, d), s[i] / denom, o, o);
    }

    private static int Check(int d, int keys, int scores, int destination)
    {
        if (d == 0) throw new ArgumentException("sink attention: empty query");
        if (keys % d != 0) throw new ArgumentException($"sink attention: {keys} key values are not rows of {d}");
        int n = keys / d;
        if (scores < n) throw new ArgumentException($"sink attention: scores holds {scores} values for {n} keys");
        if (destination < d) throw new ArgumentException($"sink attention: destination holds {destination} values, need {d}");
        return n;
    }
}
