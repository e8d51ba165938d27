// Plain scalar twins of the element-wise and row kernels (RMSNorm, softmax, activations, top-k).
// Each formula is written exactly as the reference model computes it.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class ElementwiseReference
{
    /// <summary>dst = x * rsqrt(mean(x^2) + eps) * w (w may be empty: no weight).</summary>
    public static void RmsNorm<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, T eps, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T ss = T.Zero;
        for (int i = 0; i < x.Length; i++) ss += x[i] * x[i];
        T r = T.One / T.Sqrt(ss / T.CreateTruncating(x.Length) + eps);
        for (int i = 0; i < x.Length; i++) dst[i] = w.IsEmpty ? x[i] * r : x[i] * r * w[i];
    }

    /// <summary>In-place softmax: x_i = exp(x_i - max) / sum_j exp(x_j - max).</summary>
    public static void Softmax<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return;
        T m = T.NegativeInfinity;
        foreach (T v in x) m = T.Max(m, v);
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) { x[i] = T.Exp(x[i] - m); sum += x[i]; }
        for (int i = 0; i < x.Length; i++) x[i] /= sum;
    }

    public static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary>torch softplus (beta 1, threshold 20): x if x > 20 else log(1 + exp(x)).</summary>
    public static T Softplus<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
        => x > T.CreateTruncating(20) ? x : T.LogP1(T.Exp(x));

    public static T Silu<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x / (T.One + T.Exp(-x));

    /// <summary>Indices of the k largest values, largest first; equal values keep index order.</summary>
    public static void TopK<T>(ReadOnlySpan<T> x, int k, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k > x.Length) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k} of {x.Length} values");
        for (int j = 0; j < k; j++)
        {
            int best = -1;
            for (int i = 0; i < x.Length; i++)
            {
                bool taken = false;
                for (int q = 0; q < j; q++) if (indices[q] == i) { taken = true; break; }
                if (taken) continue;
                if (best < 0 || x[i] > x[best] || (T.IsNaN(x[best]) && !T.IsNaN(x[i]))) best = i;
            }
            indices[j] = best;
        }
    }

    /// <summary>Walsh–Hadamard transform (Sylvester order) of a power-of-two length, times scale.</summary>
    public static void Hadamard<T>(Span<T> x, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (n == 0 || (n & (n - 1)) != 0) throw new ArgumentException($"Hadamard length {n} is not a power of two");
        for (int h = 1; h < n; h <<= 1)
            for (int i = 0; i < n; i += 2 * h)
                for (int j = i; j < i + h; j++)
                {
                    T a = x[j], b = x[j + h];
                    x[j] = a + b;
                    x[j + h] = a - b;
                }
        for (int i = 0; i < n; i++) x[i] *= scale;
    }

    /// <summary>
    /// mHC Sinkhorn projection of an n x n matrix of logits c (row-major, c[i, j]):
    /// softmax over each row + eps, divide by column sums + eps, then (iters - 1) times divide by
    /// row sums + eps and column sums + eps.
    /// </summary>
    public static void Sinkhorn<T>(Span<T> c, int n, int iters, T eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
        {
            Span<T> row = c.Slice(i * n, n);
            Softmax(row);
            for (int j = 0; j < n; j++) row[j] += eps;
        }
        NormalizeColumns(c, n, eps);
        for (int it = 1; it < iters; it++)
        {
            for (int i = 0; i < n; i++)
            {
                Span<T> row = c.Slice(i * n, n);
                T s = T.Zero;
                foreach (T v in row) s += v;
                for (int j = 0; j < n; j++) row[j] /= s + eps;
            }
            NormalizeColumns(c, n, eps);
        }
    }

    private static void NormalizeColumns<T>(Span<T> c, int n, T eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < n; j++)
        {
            T s = T.Zero;
            for (int i = 0; i < n; i++) s += c[i * n + j];
            for (int i = 0; i < n; i++) c[i * n + j] /= s + eps;
        }
    }
}
