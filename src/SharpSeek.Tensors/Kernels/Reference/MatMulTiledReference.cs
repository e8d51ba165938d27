// The plain twin of MatMulTiled: y[t, o] = sum_i x[t, i] * W[o, i] in float32 as one fused
// multiply-add chain over i in order from 0 (W decoded exactly row by row). The tiled kernel's
// values equal these bit for bit.
namespace SharpSeek.Tensors.Kernels.Reference;

public static class MatMulTiledReference
{
    public static void Forward(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows;
        if (x.Length < (long)tokens * n) throw new ArgumentException($"{w.Name}: input has {x.Length} values, need {tokens}x{n}");
        if (y.Length < (long)tokens * m) throw new ArgumentException($"{w.Name}: output has {y.Length} values, need {tokens}x{m}");
        var row = new float[n];
        for (int o = 0; o < m; o++)
        {
            w.DecodeRow(o, row);
            for (int t = 0; t < tokens; t++)
            {
                ReadOnlySpan<float> xt = x.Slice(t * n, n);
                float acc = 0f;
                for (int i = 0; i < n; i++) acc = MathF.FusedMultiplyAdd(xt[i], row[i], acc);
                y[t * m + o] = acc;
            }
        }
    }
}
