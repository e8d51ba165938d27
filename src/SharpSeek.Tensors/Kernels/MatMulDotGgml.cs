// One token against four ggml-block weight rows (Q8_0, MXFP4: a decode step of a GGUF model) with the
// decode fused into the dot: each 32-value block is widened (Q8_0) or looked up in the block's scaled
// 16-entry code book (MXFP4) in registers instead of through the panel buffer. Each weight is the same
// exact product code x scale that GgmlBlocksFast writes into the panel, and the FMA chain per lane and
// the reduction are Rows4's, so the sums equal the panel path bit for bit (and a token in a batch).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDotGgml
{
    public static bool IsSupported(GgmlType type) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && type is GgmlType.Q8_0 or GgmlType.MXFP4;

    /// <summary>s_r = sum_j x[j] * w_r[j] for r = 0..3 over n columns (whole 32-blocks); w_r the row's first block of the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(GgmlType type, float* x, byte* w0, byte* w1, byte* w2, byte* w3, int n, float* s)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int bytes = type == GgmlType.Q8_0 ? 34 : 17;
        for (int j = 0, o = 0; j < n; j += 32, o += bytes)
        {
            var xa = Vector512.Load(x + j);
            var xb = Vector512.Load(x + j + 16);
            if (type == GgmlType.Q8_0)
            {
                c0 = Q8(w0 + o, xa, xb, c0); c1 = Q8(w1 + o, xa, xb, c1); c2 = Q8(w2 + o, xa, xb, c2); c3 = Q8(w3 + o, xa, xb, c3);
            }
            else
            {
                c0 = Mx(w0 + o, xa, xb, c0); c1 = Mx(w1 + o, xa, xb, c1); c2 = Mx(w2 + o, xa, xb, c2); c3 = Mx(w3 + o, xa, xb, c3);
            }
        }
        s[0] = Vector512.Sum(c0); s[1] = Vector512.Sum(c1); s[2] = Vector512.Sum(c2); s[3] = Vector512.Sum(c3);
    }

    // Q8_0 block: f16 d, 32 int8 codes; weights code * d (exact: 8-bit code x 11-bit significand).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8(byte* b, Vector512<float> xa, Vector512<float> xb, Vector512<float> c)
    {
        var d = Vector512.Create(Codecs.F16.Decode(Unsafe.ReadUnaligned<ushort>(b)));
        var lo = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)b + 2)));
        var hi = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)b + 18)));
        c = Vector512.FusedMultiplyAdd(xa, lo * d, c);
        return Vector512.FusedMultiplyAdd(xb, hi * d, c);
    }

    // MXFP4 block: e8m0 byte, 16 bytes of codes (low nibbles = values 0..15, high nibbles = 16..31);
    // weights book[code] * 2^(e-128) (exact: a power of two).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mx(byte* b, Vector512<float> xa, Vector512<float> xb, Vector512<float> c)
    {
        var book = Vector512.Create(0f, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12) * Vector512.Create(GgmlNonLinearBlocks.Mxfp4Scale(b[0]));
        Vector512<uint> codes = Avx512F.ConvertToVector512UInt32(Vector128.Load(b + 1));
        c = Vector512.FusedMultiplyAdd(xa, Avx512F.PermuteVar16x32(book, codes.AsInt32()), c);   // only the low 4 index bits count
        return Vector512.FusedMultiplyAdd(xb, Avx512F.PermuteVar16x32(book, Vector512.ShiftRightLogical(codes, 4).AsInt32()), c);
    }
}
