// The first fast MatMul (commit ea1f073) kept verbatim as the "before" column of the benchmarks:
// scalar row decode (WeightMatrix.DecodeRow) then TensorPrimitives.Dot per token.
using System.Numerics.Tensors;

namespace SharpSeek.Bench;

public static class BaselineMatMul
{
    private const int RowsPerChunk = 16;

    public static unsafe void ForwardF32(ReadOnlySpan<float> x, SharpSeek.Tensors.WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows;
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

    private static unsafe void Chunk(float* x, SharpSeek.Tensors.WeightMatrix w, float* y, int tokens, int chunk, float[] rowBuf)
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
