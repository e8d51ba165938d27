// Register-blocked dot products for the fast MatMul: four weight rows against one or two token
// rows at a time, so each x vector load feeds four FMAs. Vector512, then Vector256, then a scalar
// tail, written once per block shape. Sums are fp32; the order differs from the scalar twin.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDot
{
    /// <summary>s_r = sum_j x[j] * w_r[j] for r = 0..3, j in [0, n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(float* x, float* w0, float* w1, float* w2, float* w3, int n, float* s)
    {
        int j = 0;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
            for (; j <= n - 16; j += 16)
            {
                var xv = Vector512.Load(x + j);
                c0 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w0 + j), c0);
                c1 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w1 + j), c1);
                c2 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w2 + j), c2);
                c3 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w3 + j), c3);
            }
            a0 = Vector512.Sum(c0); a1 = Vector512.Sum(c1); a2 = Vector512.Sum(c2); a3 = Vector512.Sum(c3);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
            for (; j <= n - 8; j += 8)
            {
                var xv = Vector256.Load(x + j);
                c0 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w0 + j), c0);
                c1 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w1 + j), c1);
                c2 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w2 + j), c2);
                c3 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w3 + j), c3);
            }
            a0 = Vector256.Sum(c0); a1 = Vector256.Sum(c1); a2 = Vector256.Sum(c2); a3 = Vector256.Sum(c3);
        }
        for (; j < n; j++)
        {
            float xv = x[j];
            a0 += xv * w0[j]; a1 += xv * w1[j]; a2 += xv * w2[j]; a3 += xv * w3[j];
        }
        s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
    }

    /// <summary>s[t * 4 + r] = sum_j xt[j] * w_r[j] for tokens t = 0, 1 (x0, x1) and rows r = 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4Tokens2(float* x0, float* x1, float* w0, float* w1, float* w2, float* w3, int n, float* s)
    {
        int j = 0;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
            Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
            for (; j <= n - 16; j += 16)
            {
                var xa = Vector512.Load(x0 + j);
                var xb = Vector512.Load(x1 + j);
                var v = Vector512.Load(w0 + j);
                c0 = Vector512.FusedMultiplyAdd(xa, v, c0); d0 = Vector512.FusedMultiplyAdd(xb, v, d0);
                v = Vector512.Load(w1 + j);
                c1 = Vector512.FusedMultiplyAdd(xa, v, c1); d1 = Vector512.FusedMultiplyAdd(xb, v, d1);
                v = Vector512.Load(w2 + j);
                c2 = Vector512.FusedMultiplyAdd(xa, v, c2); d2 = Vector512.FusedMultiplyAdd(xb, v, d2);
                v = Vector512.Load(w3 + j);
                c3 = Vector512.FusedMultiplyAdd(xa, v, c3); d3 = Vector512.FusedMultiplyAdd(xb, v, d3);
            }
            a0 = Vector512.Sum(c0); a1 = Vector512.Sum(c1); a2 = Vector512.Sum(c2); a3 = Vector512.Sum(c3);
            b0 = Vector512.Sum(d0); b1 = Vector512.Sum(d1); b2 = Vector512.Sum(d2); b3 = Vector512.Sum(d3);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
            Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default;
            for (; j <= n - 8; j += 8)
            {
                var xa = Vector256.Load(x0 + j);
                var xb = Vector256.Load(x1 + j);
                var v = Vector256.Load(w0 + j);
                c0 = Vector256.FusedMultiplyAdd(xa, v, c0); d0 = Vector256.FusedMultiplyAdd(xb, v, d0);
                v = Vector256.Load(w1 + j);
                c1 = Vector256.FusedMultiplyAdd(xa, v, c1); d1 = Vector256.FusedMultiplyAdd(xb, v, d1);
                v = Vector256.Load(w2 + j);
                c2 = Vector256.FusedMultiplyAdd(xa, v, c2); d2 = Vector256.FusedMultiplyAdd(xb, v, d2);
                v = Vector256.Load(w3 + j);
                c3 = Vector256.FusedMultiplyAdd(xa, v, c3); d3 = Vector256.FusedMultiplyAdd(xb, v, d3);
            }
            a0 = Vector256.Sum(c0); a1 = Vector256.Sum(c1); a2 = Vector256.Sum(c2); a3 = Vector256.Sum(c3);
            b0 = Vector256.Sum(d0); b1 = Vector256.Sum(d1); b2 = Vector256.Sum(d2); b3 = Vector256.Sum(d3);
        }
        for (; j < n; j++)
        {
            float xa = x0[j], xb = x1[j];
            a0 += xa * w0[j]; a1 += xa * w1[j]; a2 += xa * w2[j]; a3 += xa * w3[j];
            b0 += xb * w0[j]; b1 += xb * w1[j]; b2 += xb * w2[j]; b3 += xb * w3[j];
        }
        s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
        s[4] = b0; s[5] = b1; s[6] = b2; s[7] = b3;
    }

    /// <summary>
    /// s[t * 4 + r] = sum_j xt[j] * w_r[j] for tokens t = 0..3 and rows r = 0..3: sixteen accumulators,
    /// so each weight load feeds four FMAs. Every sum is computed exactly as Rows4Tokens2 computes it
    /// (same lanes, same order, same tail), so a token's result does not depend on its neighbours.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4Tokens4(float* x0, float* x1, float* x2, float* x3, float* w0, float* w1, float* w2, float* w3, int n, float* s)
    {
        if (!Vector512.IsHardwareAccelerated || n < 16)
        {
            Rows4Tokens2(x0, x1, w0, w1, w2, w3, n, s);
            Rows4Tokens2(x2, x3, w0, w1, w2, w3, n, s + 8);
            return;
        }
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        int j = 0;
        for (; j <= n - 16; j += 16)
        {
            var xa = Vector512.Load(x0 + j);
            var xb = Vector512.Load(x1 + j);
            var xc = Vector512.Load(x2 + j);
            var xd = Vector512.Load(x3 + j);
            var v = Vector512.Load(w0 + j);
            a0 = Vector512.FusedMultiplyAdd(xa, v, a0); b0 = Vector512.FusedMultiplyAdd(xb, v, b0);
            c0 = Vector512.FusedMultiplyAdd(xc, v, c0); d0 = Vector512.FusedMultiplyAdd(xd, v, d0);
            v = Vector512.Load(w1 + j);
            a1 = Vector512.FusedMultiplyAdd(xa, v, a1); b1 = Vector512.FusedMultiplyAdd(xb, v, b1);
            c1 = Vector512.FusedMultiplyAdd(xc, v, c1); d1 = Vector512.FusedMultiplyAdd(xd, v, d1);
            v = Vector512.Load(w2 + j);
            a2 = Vector512.FusedMultiplyAdd(xa, v, a2); b2 = Vector512.FusedMultiplyAdd(xb, v, b2);
            c2 = Vector512.FusedMultiplyAdd(xc, v, c2); d2 = Vector512.FusedMultiplyAdd(xd, v, d2);
            v = Vector512.Load(w3 + j);
            a3 = Vector512.FusedMultiplyAdd(xa, v, a3); b3 = Vector512.FusedMultiplyAdd(xb, v, b3);
            c3 = Vector512.FusedMultiplyAdd(xc, v, c3); d3 = Vector512.FusedMultiplyAdd(xd, v, d3);
        }
        Tail(x0, w0, w1, w2, w3, j, n, Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3), s);
        Tail(x1, w0, w1, w2, w3, j, n, Vector512.Sum(b0), Vector512.Sum(b1), Vector512.Sum(b2), Vector512.Sum(b3), s + 4);
        Tail(x2, w0, w1, w2, w3, j, n, Vector512.Sum(c0), Vector512.Sum(c1), Vector512.Sum(c2), Vector512.Sum(c3), s + 8);
        Tail(x3, w0, w1, w2, w3, j, n, Vector512.Sum(d0), Vector512.Sum(d1), Vector512.Sum(d2), Vector512.Sum(d3), s + 12);
    }

    /// <summary>The scalar tail of one token over four rows from column j, as Rows4 and Rows4Tokens2 add it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tail(float* x, float* w0, float* w1, float* w2, float* w3, int j, int n, float a0, float a1, float a2, float a3, float* s)
    {
        for (; j < n; j++)
        {
            float xv = x[j];
            a0 += xv * w0[j]; a1 += xv * w1[j]; a2 += xv * w2[j]; a3 += xv * w3[j];
        }
        s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
    }
}
