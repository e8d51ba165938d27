// Scalar twin of IndexScore: the reference formula, one head and one product at a time.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class IndexScoreReference
{
    /// <summary>sum over heads h of w[h] * (q_h . key) where that dot is positive (q [H, D], H = w.Length).</summary>
    public static T Score<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> w, ReadOnlySpan<T> key) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = key.Length;
        T s = T.Zero;
        for (int h = 0; h < w.Length; h++)
        {
            T dot = T.Zero;
            for (int i = 0; i < d; i++) dot += q[h * d + i] * key[i];
            if (dot > T.Zero) s += w[h] * dot;
        }
        return s;
    }
}
