// One token against four ggml-block weight rows (Q8_0, MXFP4, Q4_K: a decode step of a GGUF model) with
// the decode fused into the dot: codes are widened (Q8_0, Q4_K) or looked up in the block's scaled
// 16-entry code book (MXFP4) in registers instead of through the panel buffer. Every weight is the value
// GgmlBlocksFast writes into the panel (code x scale, exact; Q4_K's scale x code - min per sub-block, in
// the twin's order), and the FMA chain per lane and the reduction are Rows4's, so the sums equal the
// panel path bit for bit (and a token in a batch). A fused Q6_K measured slower than its panel path, so
// Q6_K and the other formats stay on the panel.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDotGgml
{
    public static bool IsSupported(GgmlType type) =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && type is GgmlType.Q8_0 or GgmlType.MXFP4 or GgmlType.Q4_K;

    /// <summary>s_r = sum_j x[j] * w_r[j] for r = 0..3 over n columns (whole 32-blocks); w_r the row's first block of the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(GgmlType type, float* x, byte* w0, byte* w1, byte* w2, byte* w3, int n, float* s)
    {
        float* f16 = Codecs.F16Table.Values;   // first: vectors live across its class-init check go to the stack
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        if (type == GgmlType.Q4_K)
        {
            for (int j = 0, o = 0; j < n; j += 256, o += 144)
            {
                c0 = Q4K(w0 + o, x + j, c0); c1 = Q4K(w1 + o, x + j, c1); c2 = Q4K(w2 + o, x + j, c2); c3 = Q4K(w3 + o, x + j, c3);
            }
            s[0] = Vector512.Sum(c0); s[1] = Vector512.Sum(c1); s[2] = Vector512.Sum(c2); s[3] = Vector512.Sum(c3);
            return;
        }
        int bytes = type == GgmlType.Q8_0 ? 34 : 17;
        for (int j = 0, o = 0; j < n; j += 32, o += bytes)
        {
            var xa = Vector512.Load(x + j);
            var xb = Vector512.Load(x + j + 16);
            if (type == GgmlType.Q8_0)
            {
                c0 = Q8(w0 + o, xa, xb, c0, f16); c1 = Q8(w1 + o, xa, xb, c1, f16); c2 = Q8(w2 + o, xa, xb, c2, f16); c3 = Q8(w3 + o, xa, xb, c3, f16);
            }
            else
            {
                c0 = Mx(w0 + o, xa, xb, c0); c1 = Mx(w1 + o, xa, xb, c1); c2 = Mx(w2 + o, xa, xb, c2); c3 = Mx(w3 + o, xa, xb, c3);
            }
        }
        s[0] = Vector512.Sum(c0); s[1] = Vector512.Sum(c1); s[2] = Vector512.Sum(c2); s[3] = Vector512.Sum(c3);
    }

    /// <summary>
    /// sum_j x[j] * w[j] over one Q8_0 row run of n columns (whole 32-blocks): Rows4's chain for one row,
    /// so the same bits. One row at a time reads one sequential stream per thread; four interleaved
    /// rows (Rows4) ran at a fraction of the read bandwidth, as for BF16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8Row(float* x, byte* w, int n)
    {
        float* f16 = Codecs.F16Table.Values;   // first: a vector live across its class-init check goes to the stack
        Vector512<float> c = default;
        int j = 0, o = 0;
        for (; j + 64 <= n; j += 64, o += 68)
        {
            Sse.Prefetch0(w + o + 4096);   // a line per two blocks, 4 KB ahead (as Int8RowDot)
            c = Q8(w + o, Vector512.Load(x + j), Vector512.Load(x + j + 16), c, f16);
            c = Q8(w + o + 34, Vector512.Load(x + j + 32), Vector512.Load(x + j + 48), c, f16);
        }
        if (j < n) c = Q8(w + o, Vector512.Load(x + j), Vector512.Load(x + j + 16), c, f16);
        return Vector512.Sum(c);
    }

    /// <summary>sum_j x[j] * w[j] over one MXFP4 row run of n columns (whole 32-blocks): Rows4's chain for one row (same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MxRow(float* x, byte* w, int n)
    {
        Vector512<float> c = default;
        for (int j = 0, o = 0; j < n; j += 32, o += 17)
            c = Mx(w + o, Vector512.Load(x + j), Vector512.Load(x + j + 16), c);
        return Vector512.Sum(c);
    }

    // Q8_0 block: f16 d (looked up in F16Table: F16.Decode's bits), 32 int8 codes; weights code * d (exact:
    // 8-bit code x 11-bit significand).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8(byte* b, Vector512<float> xa, Vector512<float> xb, Vector512<float> c, float* f16)
    {
        var d = Vector512.Create(f16[Unsafe.ReadUnaligned<ushort>(b)]);
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

    // 16 byte codes -> 16 int32 lanes (zero-extended).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Bytes16(byte* p) => Avx512F.ConvertToVector512Int32(Vector128.Load(p));

    // w = scale * code - offset for 16 codes, then one FMA: the panel's values and its column order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MulSubFma(Vector512<int> codes, float scale, float offset, float* x, Vector512<float> c) =>
        Vector512.FusedMultiplyAdd(Vector512.Load(x), Vector512.Create(scale) * Vector512.ConvertToSingle(codes) - Vector512.Create(offset), c);

    // Q4_K block (256 values): per 64: 32 low nibbles with (d1, m1), 32 high nibbles with (d2, m2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q4K(byte* b, float* x, Vector512<float> c)
    {
        float d = Codecs.F16.Decode(Unsafe.ReadUnaligned<ushort>(b)), min = Codecs.F16.Decode(Unsafe.ReadUnaligned<ushort>(b + 2));
        var scales = new ReadOnlySpan<byte>(b + 4, 12);
        var mask = Vector512.Create(0xF);
        for (int k = 0; k < 4; k++)
        {
            var (sc1, m1) = GgmlKBlocks.ScaleMin(scales, 2 * k);
            var (sc2, m2) = GgmlKBlocks.ScaleMin(scales, 2 * k + 1);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            byte* q = b + 16 + 32 * k;
            Vector512<int> qa = Bytes16(q), qb = Bytes16(q + 16);
            float* xk = x + 64 * k;
            c = MulSubFma(qa & mask, d1, mm1, xk, c);
            c = MulSubFma(qb & mask, d1, mm1, xk + 16, c);
            c = MulSubFma(Vector512.ShiftRightLogical(qa, 4), d2, mm2, xk + 32, c);
            c = MulSubFma(Vector512.ShiftRightLogical(qb, 4), d2, mm2, xk + 48, c);
        }
        return c;
    }
}
