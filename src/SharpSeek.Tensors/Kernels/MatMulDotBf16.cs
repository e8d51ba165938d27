// One token against one BF16 weight row with the decode fused into the dot (the decode step of the
// vocabulary head and every BF16 projection): each 16-value run is widened in registers instead of
// through the panel buffer. The FMA chain per lane and the reduction are exactly MatMulDot.Rows4's
// on the decoded panel, so the sum is bit-identical to the panel path (and to a token in a batch).
// One row at a time, not four: a single sequential read stream per thread runs at the memory
// bandwidth, four interleaved row streams at ~40% of it (bench/SharpSeek.Bench --head).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDotBf16
{
    /// <summary>sum_j x[j] * bf16(w[j]) for j in [0, n), n >= 16 (the Vector512 path of MatMulDot.Rows4, one row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(float* x, ushort* w, int n)
    {
        Vector512<float> c = default;
        int j = 0;
        for (; j <= n - 16; j += 16) c = Vector512.FusedMultiplyAdd(Vector512.Load(x + j), Widen(w + j), c);
        float a = Vector512.Sum(c);
        for (; j < n; j++) a += x[j] * Bf16(w[j]);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(ushort* w) => Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(w).ToVector512Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bf16(ushort b) => BitConverter.Int32BitsToSingle(b << 16);
}
