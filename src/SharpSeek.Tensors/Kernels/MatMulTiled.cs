// y[T, out] = x[T, in] · W^T for products with many token rows (the ViT's patches, the aligner's
// cells): cache-tiled over the worker team. The work is cut into (TokenBlock tokens x ColBlock output
// columns) items; an item walks k in blocks of DepthBlock, decodes its W block once into a packed
// k-major panel (64 KB, stays in L2) and runs the register tile (TileKernel) over it for every group
// of token rows (each group's A slice stays in L1). Every value is one fused chain over k in order
// from 0, so the result equals MatMulTiledReference bit for bit on any core count and any T; W is
// decoded exactly (any format). Other precisions than float32 run MatMulReference.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static unsafe class MatMulTiled
{
    /// <summary>Token rows per work item.</summary>
    private const int TokenBlock = 128;
    /// <summary>Output columns (W rows) per work item.</summary>
    private const int ColBlock = 64;
    /// <summary>k per packed panel: a multiple of every weight block size (FP8 128, GGUF 256).</summary>
    private const int DepthBlock = 256;

    /// <summary>y[t, o] = sum_i x[t, i] * W[o, i] (x row-major [tokens, Cols], y row-major [tokens, Rows]).</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, WeightMatrix w, Span<T> y, int tokens) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            ForwardF32(MemoryMarshal.Cast<T, float>(x), w, MemoryMarshal.Cast<T, float>(y), tokens);
        else
            MatMulReference.Forward(x, w, y, tokens);
    }

    public static void ForwardF32(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows;
        if (tokens < 0) throw new ArgumentOutOfRangeException(nameof(tokens), $"{w.Name}: {tokens} tokens");
        if (x.Length < (long)tokens * n) throw new ArgumentException($"{w.Name}: input has {x.Length} values, need {tokens}x{n}");
        if (y.Length < (long)tokens * m) throw new ArgumentException($"{w.Name}: output has {y.Length} values, need {tokens}x{m}");
        if (m == 0 || tokens == 0) return;
        if (n == 0) { y[..(tokens * m)].Clear(); return; }
        fixed (float* px = x, py = y)
        {
            var job = new Job { X = px, Y = py, W = w, Tokens = tokens, ColBlocks = (m + ColBlock - 1) / ColBlock };
            int items = (tokens + TokenBlock - 1) / TokenBlock * job.ColBlocks;
            WorkerTeam.Shared.Run(items, Unsafe.AsPointer(ref job), &RunItem);   // job lives on this frame until Run returns
        }
    }

    private struct Job
    {
        public float* X, Y;
        public WeightMatrix W;
        public int Tokens, ColBlocks;
    }

    /// <summary>Item i: token block i / ColBlocks, column block i % ColBlocks (neighbours share the token block, so it stays in cache).</summary>
    private static void RunItem(void* state, int i)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int t0 = i / j.ColBlocks * TokenBlock, o0 = i % j.ColBlocks * ColBlock;
        Block(j.X, j.W, j.Y, t0, Math.Min(j.Tokens, t0 + TokenBlock), o0, Math.Min(j.W.Rows, o0 + ColBlock));
    }

    /// <summary>y[t0..t1, o0..o1) from every k block in order.</summary>
    private static void Block(float* x, WeightMatrix w, float* y, int t0, int t1, int o0, int o1)
    {
        int n = w.Cols, m = w.Rows, nr = TileKernel.Cols, mr = TileKernel.Rows, cols = o1 - o0;
        int slivers = (cols + nr - 1) / nr;
        float[] rented = ArrayPool<float>.Shared.Rent(slivers * nr * DepthBlock + DepthBlock);
        try
        {
            fixed (float* panel = rented)
            {
                float* row = panel + slivers * nr * DepthBlock;
                for (int p0 = 0; p0 < n; p0 += DepthBlock)
                {
                    int kc = Math.Min(DepthBlock, n - p0);
                    // 1. pack W[o0..o1, p0..p0+kc) k-major per sliver of nr columns: panel[s][p][j] = W[o0 + s nr + j, p0 + p]
                    for (int o = o0; o < o1; o++)
                    {
                        float* src = row;
                        if (w.Format == WeightFormat.F32) src = (float*)w.Data + (long)o * n + p0;
                        else MatMul.DecodeRun(w, o, p0, kc, row);
                        int s = (o - o0) / nr, jj = (o - o0) % nr;
                        float* dst = panel + (long)s * nr * DepthBlock + jj;
                        for (int p = 0; p < kc; p++) dst[p * nr] = src[p];
                    }
                    // 2. register tiles: every group of mr token rows against every sliver
                    for (int t = t0; t < t1; t += mr)
                    {
                        int rows = Math.Min(mr, t1 - t);
                        for (int s = 0; s < slivers; s++)
                        {
                            int c = Math.Min(nr, cols - s * nr);
                            TileKernel.Run(x + (long)t * n + p0, n, panel + (long)s * nr * DepthBlock, nr, y + (long)t * m + o0 + s * nr, m, rows, c, kc, p0 > 0);
                        }
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }
}
