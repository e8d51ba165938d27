// Plain scalar twin of MatMul: y[t, o] = sum_i x[t, i] * W[o, i], W decoded exactly row by row,
// accumulated in T. The oracle for the vectorised kernel and the engine of the float64 mode.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class MatMulReference
{
    public static void Forward<T>(ReadOnlySpan<T> x, WeightMatrix w, Span<T> y, int tokens) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Cols, m = w.Rows;
        if (x.Length < tokens * n) throw new ArgumentException($"{w.Name}: input has {x.Length} values, need {tokens}x{n}");
        if (y.Length < tokens * m) throw new ArgumentException($"{w.Name}: output has {y.Length} values, need {tokens}x{m}");
        var row = new float[n];
        for (int o = 0; o < m; o++)
        {
            w.DecodeRow(o, row);
            for (int t = 0; t < tokens; t++)
            {
                ReadOnlySpan<T> xt = x.Slice(t * n, n);
                T acc = T.Zero;
                for (int i = 0; i < n; i++) acc += xt[i] * T.CreateTruncating(row[i]);
                y[t * m + o] = acc;
            }
        }
    }
}
