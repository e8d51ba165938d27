// One token against four BF16 weight rows with the decode fused into the dot (the decode step of the
// vocabulary head and every BF16 projection): each 16-value run is widened in registers instead of
// through the panel buffer. The FMA chain per lane and the reduction are exactly Rows4's on the
// decoded panel, so the sums are bit-identical to the panel path (and to a token in a batch).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDotBf16
{
    /// <summary>s_r = sum_j x[j] * bf16(w_r[j]) for r = 0..3, j in [0, n), n >= 16 (the Vector512 path of Rows4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(float* x, ushort* w0, ushort* w1, ushort* w2, ushort* w3, int n, float* s)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int j = 0;
        for (; j <= n - 16; j += 16)
        {
            var xv = Vector512.Load(x + j);
            c0 = Vector512.FusedMultiplyAdd(xv, Widen(w0 + j), c0);
            c1 = Vector512.FusedMultiplyAdd(xv, Widen(w1 + j), c1);
            c2 = Vector512.FusedMultiplyAdd(xv, Widen(w2 + j), c2);
            c3 = Vector512.FusedMultiplyAdd(xv, Widen(w3 + j), c3);
        }
        float a0 = Vector512.Sum(c0), a1 = Vector512.Sum(c1), a2 = Vector512.Sum(c2), a3 = Vector512.Sum(c3);
        for (; j < n; j++)
        {
            float xv = x[j];
            a0 += xv * Bf16(w0[j]); a1 += xv * Bf16(w1[j]); a2 += xv * Bf16(w2[j]); a3 += xv * Bf16(w3[j]);
        }
        s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(ushort* w) => Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(w).ToVector512Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bf16(ushort b) => BitConverter.Int32BitsToSingle(b << 16);
}
