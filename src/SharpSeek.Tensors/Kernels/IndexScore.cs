// The indexer's score of one compressed entry: score = sum_h w[h] * relu(q_h . k) over the index
// heads, in head order. float32 takes the heads four at a time (MatMulDot.Rows4: the key is loaded
// once per four dot products) instead of one library dot per head; other precisions the scalar twin.
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
}
