// Orthogonal and quantisation steps: RoPE on each head's rope dims (backward = the inverse
// rotation), the scaled Walsh-Hadamard transform (symmetric: backward = itself), and the FP8/FP4
// block fake quant with a straight-through gradient. All reuse the inference kernels.
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

public static class RotaryOps
{
    /// <summary>
    /// Rotates dims [headDim - rope.Dim, headDim) of every head of row r by position positions[r]
    /// (inverse = conjugate rotation, as applied to the attention output).
    /// </summary>
    public static Tensor Rope(this Tape tape, Tensor x, int headDim, RopeTable<float> rope, long[] positions, bool inverse = false)
    {
        if (positions.Length != x.Rows) throw new ArgumentException($"rope: {positions.Length} positions for {x.Rows} rows");
        int heads = x.Cols / headDim, start = headDim - rope.Dim;
        Tensor y = Tape.Output(x.Rows, x.Cols, x);
        x.Data.CopyTo(y.Data, 0);
        Apply(y.Data, x.Rows, x.Cols, heads, headDim, start, rope, positions, inverse);
        tape.Record(y, () =>
        {
            float[] g = (float[])y.G.Clone();
            Apply(g, x.Rows, x.Cols, heads, headDim, start, rope, positions, !inverse);
            for (int i = 0; i < g.Length; i++) x.G[i] += g[i];
        });
        return y;
    }

    private static void Apply(float[] data, int rows, int cols, int heads, int headDim, int start, RopeTable<float> rope, long[] positions, bool inverse)
    {
        Par.For(rows, 16, (s, e) =>
        {
            for (int r = s; r < e; r++)
                for (int h = 0; h < heads; h++) rope.Apply(data.AsSpan(r * cols + h * headDim + start, rope.Dim), positions[r], inverse);
        });
    }

    /// <summary>Hadamard transform of every chunk of <paramref name="dim"/> values, times scale.</summary>
    public static Tensor Hadamard(this Tape tape, Tensor x, int dim, float scale)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x);
        x.Data.CopyTo(y.Data, 0);
        for (int i = 0; i < x.Length; i += dim) Elementwise.Hadamard(y.Data.AsSpan(i, dim), scale);
        tape.Record(y, () =>
        {
            float[] g = (float[])y.G.Clone();
            for (int i = 0; i < g.Length; i += dim) Elementwise.Hadamard(g.AsSpan(i, dim), scale);
            for (int i = 0; i < g.Length; i++) x.G[i] += g[i];
        });
        return y;
    }

    /// <summary>
    /// Block fake quant of the first <paramref name="quantLen"/> values of every chunk of
    /// <paramref name="chunk"/> values (FP8 e4m3 or FP4 e2m1, power-of-two block scales). The
    /// gradient passes straight through (d y / d x = 1).
    /// </summary>
    public static Tensor FakeQuantSte(this Tape tape, Tensor x, int chunk, int quantLen, int block, bool fp4)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x);
        x.Data.CopyTo(y.Data, 0);
        for (int i = 0; i < x.Length; i += chunk)
        {
            Span<float> part = y.Data.AsSpan(i, quantLen);
            if (fp4) FakeQuant.Fp4(part, block); else FakeQuant.Fp8(part, block);
        }
        tape.Record(y, () => { for (int i = 0; i < x.Length; i++) x.G[i] += y.G[i]; });
        return y;
    }
}
