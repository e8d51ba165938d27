// Dense fp32 matrix products for the training graph: C[m, n] += A · B and C[m, n] += A^T · B, all
// row-major. Each 4-row block of A is packed k-major; a register tile of 4 rows x 2 vectors of C
// stays in registers while k runs from 0 to K - 1 with one fused multiply-add per step, so every element is summed in the same order as
// GemmReference (bit-identical, on every vector width and core count). Rows of C are split across
// cores; each row is written by one worker. Vector512 where the CPU has it, else Vector<float>
// (AVX2, Arm AdvSimd); column tails run scalar.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors.Kernels;

public static unsafe class Gemm
{
    private const int Mr = 4;
    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 18;
    /// <summary>Bytes of B one column panel may span (K x panel columns), sized to stay in L2.</summary>
    private const int PanelBytes = 256 * 1024;
    /// <summary>Deeper products run without panels: re-packing A per panel would cost more than it saves.</summary>
    private const int PanelMaxK = 512;

    /// <summary>C[m, n] += A[m, k] · B[k, n] (leading dimensions lda, ldb, ldc).</summary>
    public static void AB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k)
    {
        Check(a, (m - 1L) * lda + k, b, ldb, c, ldc, m, n, k, "A");
        Run(a, lda, 1, b, ldb, c, ldc, m, n, k);
    }

    /// <summary>C[m, n] += A^T · B with A stored [k, m] (leading dimension lda), B[k, n].</summary>
    public static void AtB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k)
    {
        Check(a, (k - 1L) * lda + m, b, ldb, c, ldc, m, n, k, "A^T");
        Run(a, 1, lda, b, ldb, c, ldc, m, n, k);
    }

    /// <summary>dst[cols, rows] = src[rows, cols]^T.</summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        if (src.Length < rows * cols || dst.Length < rows * cols) throw new ArgumentException($"transpose: buffers smaller than {rows}x{cols}");
        const int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile)
            for (int c0 = 0; c0 < cols; c0 += tile)
                for (int r = r0; r < Math.Min(rows, r0 + tile); r++)
                    for (int col = c0; col < Math.Min(cols, c0 + tile); col++) dst[col * rows + r] = src[r * cols + col];
    }

    private static void Check(ReadOnlySpan<float> a, long aNeed, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, string aName)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"gemm: negative size m={m} n={n} k={k}");
        if (m == 0 || n == 0 || k == 0) return;
        if (a.Length < aNeed) throw new ArgumentException($"gemm: {aName} has {a.Length} values, needs {aNeed}");
        if (b.Length < (k - 1L) * ldb + n) throw new ArgumentException($"gemm: B has {b.Length} values, needs {(k - 1L) * ldb + n}");
        if (c.Length < (m - 1L) * ldc + n) throw new ArgumentException($"gemm: C has {c.Length} values, needs {(m - 1L) * ldc + n}");
    }

    private static void Run(ReadOnlySpan<float> a, int rs, int cs, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k)
    {
        if (m == 0 || n == 0 || k == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            int blocks = (m + Mr - 1) / Mr;
            int chunks = (long)m * n * k < ParallelWork ? 1 : Math.Min(blocks, Environment.ProcessorCount * 4);
            if (chunks <= 1) { Rows(pa, rs, cs, pb, ldb, pc, ldc, 0, m, n, k); return; }
            nint xa = (nint)pa, xb = (nint)pb, xc = (nint)pc;
            Parallel.For(0, chunks, ch =>
            {
                int i0 = (int)((long)blocks * ch / chunks) * Mr, i1 = Math.Min(m, (int)((long)blocks * (ch + 1) / chunks) * Mr);
                Rows((float*)xa, rs, cs, (float*)xb, ldb, (float*)xc, ldc, i0, i1, n, k);
            });
        }
    }

    /// <summary>Rows [i0, i1) of C, one column panel at a time (its slice of B stays in L2): each 4-row block
    /// of A is packed k-major (one contiguous stream, whatever A's layout), then multiplied into vector
    /// column blocks of C; a scalar tail finishes the columns.</summary>
    private static void Rows(float* a, int rs, int cs, float* b, int ldb, float* c, int ldc, int i0, int i1, int n, int k)
    {
        int w = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector.IsHardwareAccelerated ? Vector<float>.Count : 0;
        int vecEnd = w == 0 ? 0 : n / (2 * w) * (2 * w);
        int panelCols = w == 0 || k > PanelMaxK ? n : Math.Max(8 * w, PanelBytes / 4 / k / (2 * w) * (2 * w));
        // The packed A panel (K x 4, k-major) is rented per call: each worker has its own, none is kept.
        float[] rented = ArrayPool<float>.Shared.Rent(Math.Max(k * Mr, 1024));
        try
        {
            fixed (float* panel = rented)
                RowsInPanels(a, rs, cs, b, ldb, c, ldc, i0, i1, n, k, w, vecEnd, panelCols, panel);
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }

    private static void RowsInPanels(float* a, int rs, int cs, float* b, int ldb, float* c, int ldc, int i0, int i1, int n, int k, int w, int vecEnd, int panelCols, float* panel)
    {
        for (int j0 = 0; j0 < n; j0 += panelCols)
        {
            int j1 = Math.Min(n, j0 + panelCols), jv = Math.Min(j1, vecEnd);
            for (int i = i0; i < i1; i += Mr)
            {
                // 1. pack A rows i .. i+3: panel[p * 4 + r] = A(i + r, p)
                int rows = Math.Min(Mr, i1 - i);
                Pack(a + (long)i * rs, rs, cs, rows, k, panel);
                // 2. 4 x 2-vector tiles of C, then the scalar column tail
                float* ci = c + (long)i * ldc;
                for (int j = j0; j < jv; j += 2 * w)
                {
                    if (rows == Mr && w == Vector512<float>.Count && Vector512.IsHardwareAccelerated) Tile512(panel, b + j, ldb, ci + j, ldc, k);
                    else if (rows == Mr) TileVector(panel, b + j, ldb, ci + j, ldc, k);
                    else for (int r = 0; r < rows; r++) Scalar(panel + r, b + j, ldb, ci + (long)r * ldc + j, 2 * w, k);
                }
                if (jv < j1)
                    for (int r = 0; r < rows; r++) Scalar(panel + r, b + jv, ldb, ci + (long)r * ldc + jv, j1 - jv, k);
            }
        }
    }

    /// <summary>panel[p * 4 + r] = A(r, p) for r below rows, zero above.</summary>
    private static void Pack(float* a, int rs, int cs, int rows, int k, float* panel)
    {
        if (rows == Mr)
        {
            for (int p = 0; p < k; p++)
            {
                float* ap = a + (long)p * cs;
                panel[p * Mr] = ap[0]; panel[p * Mr + 1] = ap[rs]; panel[p * Mr + 2] = ap[2 * rs]; panel[p * Mr + 3] = ap[3 * rs];
            }
            return;
        }
        for (int p = 0; p < k; p++)
            for (int r = 0; r < Mr; r++) panel[p * Mr + r] = r < rows ? a[(long)r * rs + (long)p * cs] : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float* a, float* b, int ldb, float* c, int ldc, int k)
    {
        // 1. load the 4 x 32 tile of C
        Vector512<float> c00 = Vector512.Load(c), c01 = Vector512.Load(c + 16);
        Vector512<float> c10 = Vector512.Load(c + ldc), c11 = Vector512.Load(c + ldc + 16);
        Vector512<float> c20 = Vector512.Load(c + 2 * ldc), c21 = Vector512.Load(c + 2 * ldc + 16);
        Vector512<float> c30 = Vector512.Load(c + 3 * ldc), c31 = Vector512.Load(c + 3 * ldc + 16);
        // 2. k steps: two vectors of B's row k times the four A values of column k
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb, ap = a + p * Mr;
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16);
            Vector512<float> a0 = Vector512.Create(ap[0]), a1 = Vector512.Create(ap[1]), a2 = Vector512.Create(ap[2]), a3 = Vector512.Create(ap[3]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
        }
        // 3. store the tile
        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileVector(float* a, float* b, int ldb, float* c, int ldc, int k)
    {
        int w = Vector<float>.Count;
        Vector<float> c00 = Vector.Load(c), c01 = Vector.Load(c + w);
        Vector<float> c10 = Vector.Load(c + ldc), c11 = Vector.Load(c + ldc + w);
        Vector<float> c20 = Vector.Load(c + 2 * ldc), c21 = Vector.Load(c + 2 * ldc + w);
        Vector<float> c30 = Vector.Load(c + 3 * ldc), c31 = Vector.Load(c + 3 * ldc + w);
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb, ap = a + p * Mr;
            Vector<float> b0 = Vector.Load(bp), b1 = Vector.Load(bp + w);
            Vector<float> a0 = new(ap[0]), a1 = new(ap[1]), a2 = new(ap[2]), a3 = new(ap[3]);
            c00 = Vector.FusedMultiplyAdd(a0, b0, c00); c01 = Vector.FusedMultiplyAdd(a0, b1, c01);
            c10 = Vector.FusedMultiplyAdd(a1, b0, c10); c11 = Vector.FusedMultiplyAdd(a1, b1, c11);
            c20 = Vector.FusedMultiplyAdd(a2, b0, c20); c21 = Vector.FusedMultiplyAdd(a2, b1, c21);
            c30 = Vector.FusedMultiplyAdd(a3, b0, c30); c31 = Vector.FusedMultiplyAdd(a3, b1, c31);
        }
        c00.Store(c); c01.Store(c + w);
        c10.Store(c + ldc); c11.Store(c + ldc + w);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + w);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + w);
    }

    /// <summary>One row of C, columns [0, n), from a packed panel column: c[j] += sum_k a[k * 4] * b[k * ldb + j].</summary>
    private static void Scalar(float* a, float* b, int ldb, float* c, int n, int k)
    {
        for (int j = 0; j < n; j++)
        {
            float acc = c[j];
            for (int p = 0; p < k; p++) acc = MathF.FusedMultiplyAdd(a[p * Mr], b[(long)p * ldb + j], acc);
            c[j] = acc;
        }
    }
}
