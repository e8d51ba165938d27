// One token against one Int8Block32 weight row (the fast vocabulary head): codes widened to float in
// registers, each 32-block's partial sum scaled once, four block accumulators so the FMA latency
// does not bound a memory-bound row. Every (token, row) sum is computed in this one order, so a
// token in a batch equals the token alone bit for bit. Scalar twin: MatMulReference over
// WeightMatrix.DecodeRow (code * scale), equal up to fp32 rounding order.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDotInt8
{
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>sum_b scales[b] * sum_{j in block b} x[j] * w[j] for j in [0, n), n a multiple of 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(float* x, sbyte* w, float* scales, int n)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int blocks = n / WeightMatrix.Int8Block, b = 0;
        for (; b + 4 <= blocks; b += 4)
        {
            c0 = Block(x, w, scales, b, c0);
            c1 = Block(x, w, scales, b + 1, c1);
            c2 = Block(x, w, scales, b + 2, c2);
            c3 = Block(x, w, scales, b + 3, c3);
        }
        for (; b < blocks; b++) c0 = Block(x, w, scales, b, c0);
        return Vector512.Sum((c0 + c1) + (c2 + c3));
    }

    /// <summary>c + scale_b * (x[lo] * w[lo] + x[hi] * w[hi]) for the block's two 16-value halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block(float* x, sbyte* w, float* scales, int b, Vector512<float> c)
    {
        int j = b * WeightMatrix.Int8Block;
        var lo = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(w + j)));
        var hi = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(w + j + 16)));
        var p = Vector512.FusedMultiplyAdd(Vector512.Load(x + j + 16), hi, Vector512.Load(x + j) * lo);
        return Vector512.FusedMultiplyAdd(p, Vector512.Create(scales[b]), c);
    }
}
