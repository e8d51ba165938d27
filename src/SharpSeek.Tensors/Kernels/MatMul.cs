// y[T, out] = x[T, in] · W^T for every weight format, decoding W on the fly (no dequantised copy
// is kept). float32 runs the vectorised, multi-threaded path; other precisions run the reference.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class MatMul
{
    /// <summary>Output rows per work item; large products are split across all cores.</summary>
    private const int RowsPerChunk = 16;

    public static void Forward<T>(ReadOnlySpan<T> x, WeightMatrix w, Span<T> y, int tokens) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            ForwardF32(MemoryMarshal.Cast<T, float>(x), w, MemoryMarshal.Cast<T, float>(y), tokens);
        else
            MatMulReference.Forward(x, w, y, tokens);
    }

    public static unsafe void ForwardF32(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows;
        if (x.Length < tokens * n) throw new ArgumentException($"{w.Name}: input has {x.Length} values, need {tokens}x{n}");
        if (y.Length < tokens * m) throw new ArgumentException($"{w.Name}: output has {y.Length} values, need {tokens}x{m}");
        if (m == 0 || tokens == 0) return;
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            int chunks = (m + RowsPerChunk - 1) / RowsPerChunk;
            long work = (long)m * n * Math.Max(1, tokens);
            if (work < 1 << 16 || Environment.ProcessorCount == 1)
            {
                float[] row = new float[n];
                for (int c = 0; c < chunks; c++) Chunk(xp, w, yp, tokens, c, row);
            }
            else
            {
                Parallel.For(0, chunks, () => new float[n], (c, _, row) => { Chunk(xp, w, yp, tokens, c, row); return row; }, _ => { });
            }
        }
    }

    private static unsafe void Chunk(float* x, WeightMatrix w, float* y, int tokens, int chunk, float[] rowBuf)
    {
        int n = w.Cols, m = w.Rows;
        int o0 = chunk * RowsPerChunk, o1 = Math.Min(m, o0 + RowsPerChunk);
        Span<float> row = rowBuf;
        for (int o = o0; o < o1; o++)
        {
            w.DecodeRow(o, row);
            for (int t = 0; t < tokens; t++)
                y[(long)t * m + o] = TensorPrimitives.Dot(new ReadOnlySpan<float>(x + (long)t * n, n), row);
        }
    }
}
