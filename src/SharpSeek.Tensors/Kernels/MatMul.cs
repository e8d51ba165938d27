// y[T, out] = x[T, in] · W^T for every weight format, decoding W on the fly (no dequantised copy
// is kept). float32 runs the vectorised, multi-threaded path; other precisions run the reference.
// Fast path: output rows in groups of 4; each group's row panel (up to 1024 columns) is decoded
// once into an L1-sized buffer on the worker's stack (F32 rows are read in place) and dotted with every
// token row, four tokens at a time (then two, then one: a token's sums are the same in every block
// shape, so a batch equals its tokens one by one). Large products split row groups across cores.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class MatMul
{
    internal const int RowGroup = 4;
    /// <summary>Columns decoded at a time: a multiple of both block sizes (128, 32); 4 rows = 16 KB.</summary>
    private const int Panel = 1024;
    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 19;

    /// <summary>y[t, o] = sum_i x[t, i] * W[o, i] (x row-major [tokens, Cols], y row-major [tokens, Rows]).</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, WeightMatrix w, Span<T> y, int tokens) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            ForwardF32(MemoryMarshal.Cast<T, float>(x), w, MemoryMarshal.Cast<T, float>(y), tokens);
        else
            MatMulReference.Forward(x, w, y, tokens);
    }

    /// <summary>
    /// y[t, o] = sum_i x[t, i] * W[o, i] in float32 with fp32 accumulation (summation order differs
    /// from MatMulReference: relative differences of order 1e-6 of sum_i |x w|). W is decoded exactly.
    /// </summary>
    public static unsafe void ForwardF32(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows;
        if (x.Length < tokens * n) throw new ArgumentException($"{w.Name}: input has {x.Length} values, need {tokens}x{n}");
        if (y.Length < tokens * m) throw new ArgumentException($"{w.Name}: output has {y.Length} values, need {tokens}x{m}");
        if (m == 0 || tokens <= 0) return;
        if (n == 0) { y[..(tokens * m)].Clear(); return; }
        fixed (float* px = x, py = y)
        {
            if (Int8.MatMulInt8.Handles(w, tokens)) { Int8.MatMulInt8.Forward(px, w, py, tokens); return; }   // int8 activations (WeightMatrix.Activations)
            if (Int8.MatMulInt8Rows.Handles(w, tokens)) { Int8.MatMulInt8Rows.Forward(px, w, py, tokens); return; }   // the same, fewer than 16 tokens
            int groups = (m + RowGroup - 1) / RowGroup;
            long work = (long)m * n * tokens;
            int cores = Environment.ProcessorCount;
            if (work < ParallelWork || cores == 1 || groups < 2)
            {
                RunGroups(px, w, py, tokens, 0, groups);
                return;
            }
            int chunks = Math.Min(groups, cores * 8);
            int per = (groups + chunks - 1) / chunks;
            chunks = (groups + per - 1) / per;
            var job = new Job { X = px, Y = py, W = w, Tokens = tokens, Per = per, Groups = groups };
            WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &RunChunk);   // job lives on this frame until Run returns
        }
    }

    /// <summary>One product split in chunks of row groups for the worker team.</summary>
    private unsafe struct Job
    {
        public float* X, Y;
        public WeightMatrix W;
        public int Tokens, Per, Groups;
    }

    private static unsafe void RunChunk(void* state, int c)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        RunGroups(j.X, j.W, j.Y, j.Tokens, c * j.Per, Math.Min(j.Groups, (c + 1) * j.Per));
    }

    [SkipLocalsInit]   // the stack panel is written before it is read: no need to zero 16 KB per call
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // the hot loop: fully optimised from the first call, no tier-0/OSR phase
    internal static unsafe void RunGroups(float* x, WeightMatrix w, float* y, int tokens, int g0, int g1)
    {
        int n = w.Cols, m = w.Rows;
        // Decode scratch (RowGroup x Panel floats, 16 KB) on this call's stack: never shared, never allocated.
        float* pb = stackalloc float[RowGroup * Panel];
        float* s = stackalloc float[4 * RowGroup];
        float** r = stackalloc float*[RowGroup];
        // One token (a decode step): BF16, FP4 and (with VBMI) FP8 rows are decoded in registers inside the
        // dot instead of through the panel; the sums are the panel path's bit for bit.
        bool fusedBf16 = tokens == 1 && w.Format == WeightFormat.BF16 && Vector512.IsHardwareAccelerated;
        bool fusedFp8 = tokens == 1 && w.Format == WeightFormat.Fp8Block128 && MatMulDecodeVbmi.IsSupported;
        var fp8Tables = fusedFp8 ? new MatMulDecodeVbmi.Tables() : default;
        bool fusedFp4 = tokens == 1 && w.Format == WeightFormat.Fp4Block32 && MatMulDotFp4.IsSupported && Vector512.IsHardwareAccelerated;
        bool fusedGgml = tokens == 1 && w.Format == WeightFormat.Ggml && MatMulDotGgml.IsSupported(w.Blocks.Type);
        if (w.Format == WeightFormat.Int8Block32 && MatMulDotInt8.IsSupported)
        {
            // Rows in tiles of 16 (16 KB of codes stay in L1) against every token; one sum order per (token, row).
            const int Tile = 16;
            int blocks = n / WeightMatrix.Int8Block;
            for (int a = g0 * RowGroup, end = Math.Min(m, g1 * RowGroup); a < end; a += Tile)
                for (int t = 0; t < tokens; t++)
                    for (int o = a, e = Math.Min(end, a + Tile); o < e; o++)
                        y[(long)t * m + o] = MatMulDotInt8.Row(x + (long)t * n, (sbyte*)w.Data + (long)o * n, (float*)w.Scales + (long)o * blocks, n);
            return;
        }
        if (fusedGgml && w.Blocks.Type is GgmlType.Q8_0 or GgmlType.MXFP4)
        {
            // Q8_0 and MXFP4 row by row (one sequential read stream per thread, Rows4's sums), as BF16 below.
            bool q8 = w.Blocks.Type == GgmlType.Q8_0;
            for (int o = g0 * RowGroup, end = Math.Min(m, g1 * RowGroup); o < end; o++)
                for (int c0 = 0; c0 < n; c0 += Panel)
                {
                    int len = Math.Min(Panel, n - c0);
                    float d = q8 ? MatMulDotGgml.Q8Row(x + c0, GgmlRow(w, o, 1, 0, c0), len) : MatMulDotGgml.MxRow(x + c0, GgmlRow(w, o, 1, 0, c0), len);
                    y[o] = c0 == 0 ? d : y[o] + d;
                }
            return;
        }
        if (fusedBf16)
        {
            // BF16 (memory-bound: 2 bytes per product) row by row, each row's panels in order: one
            // sequential read stream; a short tail panel goes through the decode buffer and Rows4 as below.
            for (int o = g0 * RowGroup, end = Math.Min(m, g1 * RowGroup); o < end; o++)
            {
                for (int c0 = 0; c0 < n; c0 += Panel)
                {
                    int len = Math.Min(Panel, n - c0);
                    float d;
                    if (len >= 16) d = MatMulDotBf16.Row(x + c0, (ushort*)w.Data + (long)o * n + c0, len);
                    else
                    {
                        DecodeRun(w, o, c0, len, pb);
                        MatMulDot.Rows4(x + c0, pb, pb, pb, pb, len, s);
                        d = s[0];
                    }
                    y[o] = c0 == 0 ? d : y[o] + d;
                }
            }
            return;
        }
        for (int g = g0; g < g1; g++)
        {
            int o0 = g * RowGroup, valid = Math.Min(RowGroup, m - o0);
            for (int c0 = 0; c0 < n; c0 += Panel)
            {
                int len = Math.Min(Panel, n - c0);
                if (fusedFp4 && len >= 32)   // FP4 rows are whole 32-blocks
                {
                    MatMulDotFp4.Rows4(x + c0, Fp4Row(w, o0, valid, 0, c0), Fp4Row(w, o0, valid, 1, c0), Fp4Row(w, o0, valid, 2, c0), Fp4Row(w, o0, valid, 3, c0),
                        Fp4Scales(w, o0, valid, 0, c0), Fp4Scales(w, o0, valid, 1, c0), Fp4Scales(w, o0, valid, 2, c0), Fp4Scales(w, o0, valid, 3, c0), len, s);
                    Store(y + o0, s, valid, c0 == 0);
                    continue;
                }
                if (fusedGgml)   // Q8_0 / MXFP4 rows are whole 32-blocks
                {
                    MatMulDotGgml.Rows4(w.Blocks.Type, x + c0, GgmlRow(w, o0, valid, 0, c0), GgmlRow(w, o0, valid, 1, c0), GgmlRow(w, o0, valid, 2, c0), GgmlRow(w, o0, valid, 3, c0), len, s);
                    Store(y + o0, s, valid, c0 == 0);
                    continue;
                }
                if (fusedFp8 && len % 64 == 0)
                {
                    MatMulDecodeVbmi.Rows4(x + c0, Fp8Row(w, o0, valid, 0, c0), Fp8Row(w, o0, valid, 1, c0), Fp8Row(w, o0, valid, 2, c0), Fp8Row(w, o0, valid, 3, c0),
                        Fp8Scales(w, o0, valid, 0, c0), Fp8Scales(w, o0, valid, 1, c0), Fp8Scales(w, o0, valid, 2, c0), Fp8Scales(w, o0, valid, 3, c0), len, fp8Tables, s);
                    Store(y + o0, s, valid, c0 == 0);
                    continue;
                }
                // Rows past the end of W repeat the last valid row; their sums are discarded.
                for (int k = 0; k < RowGroup; k++)
                {
                    int kk = Math.Min(k, valid - 1);
                    if (w.Format == WeightFormat.F32) r[k] = (float*)w.Data + (long)(o0 + kk) * n + c0;
                    else
                    {
                        r[k] = pb + kk * Panel;
                        if (k == kk) DecodeRun(w, o0 + k, c0, len, r[k]);
                    }
                }
                int t = 0;
                for (; t + 3 < tokens; t += 4)
                {
                    float* xt = x + (long)t * n + c0;
                    MatMulDot.Rows4Tokens4(xt, xt + n, xt + 2 * n, xt + 3 * n, r[0], r[1], r[2], r[3], len, s);
                    for (int k = 0; k < 4; k++) Store(y + (long)(t + k) * m + o0, s + k * RowGroup, valid, c0 == 0);
                }
                for (; t + 1 < tokens; t += 2)
                {
                    float* xt = x + (long)t * n + c0;
                    MatMulDot.Rows4Tokens2(xt, xt + n, r[0], r[1], r[2], r[3], len, s);
                    Store(y + (long)t * m + o0, s, valid, c0 == 0);
                    Store(y + (long)(t + 1) * m + o0, s + RowGroup, valid, c0 == 0);
                }
                if (t < tokens)
                {
                    MatMulDot.Rows4(x + (long)t * n + c0, r[0], r[1], r[2], r[3], len, s);
                    Store(y + (long)t * m + o0, s, valid, c0 == 0);
                }
            }
        }
    }

    // Row k of the group at o0 from column c0, and its block scales (rows past the end repeat the last valid row).
    private static unsafe byte* Fp8Row(WeightMatrix w, int o0, int valid, int k, int c0) => w.Data + (long)(o0 + Math.Min(k, valid - 1)) * w.Cols + c0;

    private static unsafe byte* Fp8Scales(WeightMatrix w, int o0, int valid, int k, int c0) =>
        w.Scales + (long)((o0 + Math.Min(k, valid - 1)) / WeightMatrix.Fp8Block) * w.ScaleCols + c0 / WeightMatrix.Fp8Block;

    private static unsafe byte* GgmlRow(WeightMatrix w, int o0, int valid, int k, int c0) =>
        w.Data + w.RowBytes * (o0 + Math.Min(k, valid - 1)) + (long)c0 / w.Blocks.BlockElements * w.Blocks.BlockBytes;

    private static unsafe byte* Fp4Row(WeightMatrix w, int o0, int valid, int k, int c0) => w.Data + ((long)(o0 + Math.Min(k, valid - 1)) * w.Cols + c0) / 2;

    private static unsafe byte* Fp4Scales(WeightMatrix w, int o0, int valid, int k, int c0) =>
        w.Scales + (long)(o0 + Math.Min(k, valid - 1)) * w.ScaleCols + c0 / WeightMatrix.Fp4Block;

    private static unsafe void Store(float* y, float* s, int valid, bool first)
    {
        for (int k = 0; k < valid; k++) y[k] = first ? s[k] : y[k] + s[k];
    }

    /// <summary>Decodes columns [c0, c0 + len) of row <paramref name="row"/> exactly into dst.</summary>
    internal static unsafe void DecodeRun(WeightMatrix w, int row, int c0, int len, float* dst)
    {
        long n = w.Cols;
        switch (w.Format)
        {
            case WeightFormat.BF16:
                MatMulDecode.Bf16((ushort*)w.Data + row * n + c0, len, dst);
                break;
            case WeightFormat.Fp8Block128:
                MatMulDecode.Fp8(w.Data + row * n + c0, w.Scales + (long)(row / WeightMatrix.Fp8Block) * w.ScaleCols + c0 / WeightMatrix.Fp8Block, len, dst);
                break;
            case WeightFormat.Fp4Block32:
                MatMulDecode.Fp4(w.Data + (row * n + c0) / 2, w.Scales + (long)row * w.ScaleCols + c0 / WeightMatrix.Fp4Block, len, dst);
                break;
            case WeightFormat.Ggml:
            {
                // Panels start on block boundaries (Panel is a multiple of every block size, rows are whole blocks).
                GgmlTypeInfo b = w.Blocks;
                long at = w.RowBytes * row + (long)c0 / b.BlockElements * b.BlockBytes;
                GgmlBlocksFast.Dequantize(b.Type, new ReadOnlySpan<byte>(w.Data + at, len / b.BlockElements * b.BlockBytes), new Span<float>(dst, len));
                break;
            }
            case WeightFormat.Int8Block32:
            {
                sbyte* src = (sbyte*)w.Data + row * n + c0;
                float* sc = (float*)w.Scales + row * w.ScaleCols;
                for (int j = 0; j < len; j++) dst[j] = src[j] * sc[(c0 + j) / WeightMatrix.Int8Block];
                break;
            }
            default:
                throw new NotSupportedException($"{w.Name}: no decoder for {w.Format}");
        }
    }
}
