// The indexer's score of compressed entries: score = sum_h w[h] * relu(q_h . k) over the index
// heads, in head order. float32 takes the heads four at a time (MatMulDot.Rows4: the key is loaded
// once per four dot products) instead of one library dot per head; ScoreMany takes four keys at a
// time too (MatMulDot.Rows4Tokens4: each head row loaded once per four keys), with every dot summed
// as Rows4 sums it, so its scores equal Score's bit for bit. Other precisions run the scalar twin.
using System.Numerics;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class IndexScore
{
    /// <summary>
    /// q [H, D] (H = w.Length), key [D]: sum over h of w[h] * (q_h . key) where that dot is positive.
    /// float32 dots sum in another order than the twin (relative differences of order 1e-6).
    /// </summary>
    public static unsafe T Score<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> w, ReadOnlySpan<T> key) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = w.Length, d = key.Length;
        if (q.Length < h * d) throw new ArgumentException($"index score: {q.Length} query values for {h} heads of {d}");
        if (typeof(T) != typeof(float)) return IndexScoreReference.Score(q, w, key);
        ReadOnlySpan<float> qf = MemoryMarshal.Cast<T, float>(q), wf = MemoryMarshal.Cast<T, float>(w), kf = MemoryMarshal.Cast<T, float>(key);
        float s = 0;
        float* dots = stackalloc float[4];
        fixed (float* pq = qf, pk = kf)
        {
            for (int h0 = 0; h0 < h; h0 += 4)
            {
                // Past the last head the block repeats it; those dots are not used.
                float* q0 = pq + h0 * d, q1 = pq + Math.Min(h0 + 1, h - 1) * d, q2 = pq + Math.Min(h0 + 2, h - 1) * d, q3 = pq + Math.Min(h0 + 3, h - 1) * d;
                MatMulDot.Rows4(pk, q0, q1, q2, q3, d, dots);
                for (int r = 0; r < 4 && h0 + r < h; r++)
                    if (dots[r] > 0) s += wf[h0 + r] * dots[r];
            }
        }
        return T.CreateTruncating(s);
    }

    /// <summary>
    /// scores[j] = Score(q, w, keys[j]) for the <paramref name="scores"/>.Length keys of width d in keys
    /// [n, d] (row-major); bit-identical to calling Score per key.
    /// </summary>
    public static unsafe void ScoreMany<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> w, ReadOnlySpan<T> keys, int d, Span<T> scores) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = w.Length, n = scores.Length;
        if (q.Length < h * d) throw new ArgumentException($"index score: {q.Length} query values for {h} heads of {d}");
        if (keys.Length < n * d) throw new ArgumentException($"index score: {keys.Length} key values for {n} keys of {d}");
        if (typeof(T) != typeof(float) || h == 0 || d == 0)
        {
            for (int j = 0; j < n; j++) scores[j] = Score(q, w, keys.Slice(j * d, d));
            return;
        }
        ReadOnlySpan<float> qf = MemoryMarshal.Cast<T, float>(q), wf = MemoryMarshal.Cast<T, float>(w), kf = MemoryMarshal.Cast<T, float>(keys);
        Span<float> sf = MemoryMarshal.Cast<T, float>(scores);
        float* dots = stackalloc float[16];
        int j0 = 0;
        fixed (float* pq = qf, pk = kf)
        {
            for (; j0 + 3 < n; j0 += 4)
            {
                float* k0 = pk + (long)j0 * d;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int h0 = 0; h0 < h; h0 += 4)
                {
                    float* q0 = pq + h0 * d, q1 = pq + Math.Min(h0 + 1, h - 1) * d, q2 = pq + Math.Min(h0 + 2, h - 1) * d, q3 = pq + Math.Min(h0 + 3, h - 1) * d;
                    MatMulDot.Rows4Tokens4(k0, k0 + d, k0 + 2 * d, k0 + 3 * d, q0, q1, q2, q3, d, dots);   // dots[key * 4 + head]
                    for (int r = 0; r < 4 && h0 + r < h; r++)
                    {
                        float wr = wf[h0 + r];
                        if (dots[r] > 0) s0 += wr * dots[r];
                        if (dots[4 + r] > 0) s1 += wr * dots[4 + r];
                        if (dots[8 + r] > 0) s2 += wr * dots[8 + r];
                        if (dots[12 + r] > 0) s3 += wr * dots[12 + r];
                    }
                }
                sf[j0] = s0; sf[j0 + 1] = s1; sf[j0 + 2] = s2; sf[j0 + 3] = s3;
            }
        }
        for (; j0 < n; j0++) scores[j0] = Score(q, w, keys.Slice(j0 * d, d));
    }
}
