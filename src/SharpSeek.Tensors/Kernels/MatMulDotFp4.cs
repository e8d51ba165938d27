// One token against four FP4 e2m1 weight rows with the decode fused into the dot (the routed experts
// of a decode step): each 32-code run is looked up in the row's scaled 16-entry table in registers
// instead of through the panel buffer. The FMA chain per lane and the reduction are exactly Rows4's
// on the decoded panel, so the sums are bit-identical to the panel path (and to a token in a batch).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDotFp4
{
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// s_r = sum_j x[j] * w_r[j] for r = 0..3, j in [0, n), n a multiple of 32 and at least 32; w_r the
    /// packed codes from the run's first column, sc_r its e8m0 block scales from there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(float* x, byte* w0, byte* w1, byte* w2, byte* w3, byte* sc0, byte* sc1, byte* sc2, byte* sc3, int n, float* s)
    {
        Vector512<float> lut = Vector512.Create(Fp4E2M1.Table);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int j = 0; j < n; j += WeightMatrix.Fp4Block)
        {
            int b = j / WeightMatrix.Fp4Block;
            var xa = Vector512.Load(x + j);
            var xb = Vector512.Load(x + j + 16);
            c0 = Fma2(w0 + j / 2, lut * MatMulDecode.E8M0(sc0[b]), xa, xb, c0);
            c1 = Fma2(w1 + j / 2, lut * MatMulDecode.E8M0(sc1[b]), xa, xb, c1);
            c2 = Fma2(w2 + j / 2, lut * MatMulDecode.E8M0(sc2[b]), xa, xb, c2);
            c3 = Fma2(w3 + j / 2, lut * MatMulDecode.E8M0(sc3[b]), xa, xb, c3);
        }
        s[0] = Vector512.Sum(c0); s[1] = Vector512.Sum(c1); s[2] = Vector512.Sum(c2); s[3] = Vector512.Sum(c3);
    }

    /// <summary>32 codes (16 bytes) decoded as MatMulDecode.Fp4 does, then two FMAs in column order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma2(byte* src, Vector512<float> scaled, Vector512<float> xa, Vector512<float> xb, Vector512<float> c)
    {
        var idxLo = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7).AsUInt32();
        var idxHi = Vector512.Create(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15).AsUInt32();
        var shifts = Vector512.Create(0u, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);
        Vector512<uint> bytes = Avx512F.ConvertToVector512UInt32(Vector128.Load(src));
        Vector512<uint> lo = Avx512F.ShiftRightLogicalVariable(Avx512F.PermuteVar16x32(bytes, idxLo), shifts);
        Vector512<uint> hi = Avx512F.ShiftRightLogicalVariable(Avx512F.PermuteVar16x32(bytes, idxHi), shifts);
        c = Vector512.FusedMultiplyAdd(xa, Avx512F.PermuteVar16x32(scaled, lo.AsInt32()), c);   // only the low 4 index bits count
        return Vector512.FusedMultiplyAdd(xb, Avx512F.PermuteVar16x32(scaled, hi.AsInt32()), c);
    }
}
