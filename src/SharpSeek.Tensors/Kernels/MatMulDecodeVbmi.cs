// FP8 e4m3 decoding with AVX-512 VBMI byte permutes, 64 codes at a time: every e4m3 value is exact
// in bfloat16, so two 128-entry byte tables (the high and low byte of the bf16 magnitude) give the
// top half of each float32; unpacking with zeros widens them, and a multiply by the block scale (a
// power of two) finishes. About a third of the shuffles of the 16-code float-table path; the values
// are those of MatMulDecode.Fp8 (and of WeightMatrix.DecodeRow, its scalar twin) bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDecodeVbmi
{
    public static bool IsSupported => Avx512Vbmi.IsSupported;

    // Immutable after construction: bf16 bytes of the e4m3 magnitudes (codes 0..127; NaN at 0x7F)
    // and the byte order that makes the in-lane unpacks come out in natural order.
    private static readonly byte[] s_tables = BuildTables();

    private static byte[] BuildTables()
    {
        var t = new byte[3 * 128];
        for (int c = 0; c < 128; c++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(Fp8E4M3.Table[c]);
            if ((bits & 0xFFFF) != 0) throw new InvalidOperationException($"e4m3 code {c} is not exact in bfloat16");
            t[c] = (byte)(bits >> 24);            // high byte: sign (0) and exponent bits 7..1
            t[128 + c] = (byte)(bits >> 16);      // low byte: exponent bit 0 and the mantissa
        }
        // Byte 16L + 4q + m of a register goes to float 16q + 4L + m after the two unpack levels.
        for (int lane = 0; lane < 4; lane++)
            for (int q = 0; q < 4; q++)
                for (int m = 0; m < 4; m++)
                    t[256 + 16 * lane + 4 * q + m] = (byte)(16 * q + 4 * lane + m);
        return t;
    }

    /// <summary>The constants of <see cref="Decode64"/>, loaded once per run.</summary>
    public readonly struct Tables
    {
        public readonly Vector512<byte> Hi0, Hi1, Lo0, Lo1, Order;

        public Tables()
        {
            fixed (byte* t = s_tables)
            {
                Hi0 = Vector512.Load(t); Hi1 = Vector512.Load(t + 64);
                Lo0 = Vector512.Load(t + 128); Lo1 = Vector512.Load(t + 192);
                Order = Vector512.Load(t + 256);
            }
        }
    }

    /// <summary>The 64 values of <see cref="Decode64"/> in four registers (columns 0-15, 16-31, 32-47, 48-63).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode64(byte* src, Vector512<float> scale, in Tables t, out Vector512<float> v0, out Vector512<float> v1, out Vector512<float> v2, out Vector512<float> v3)
    {
        Vector512<byte> c = Avx512Vbmi.PermuteVar64x8(Vector512.Load(src), t.Order);
        Vector512<byte> hi = Avx512Vbmi.PermuteVar64x8x2(t.Hi0, c, t.Hi1) | (c & Vector512.Create((byte)0x80));
        Vector512<byte> lo = Avx512Vbmi.PermuteVar64x8x2(t.Lo0, c, t.Lo1);
        Vector512<ushort> w0 = Avx512BW.UnpackLow(lo, hi).AsUInt16(), w1 = Avx512BW.UnpackHigh(lo, hi).AsUInt16();
        Vector512<ushort> z = Vector512<ushort>.Zero;
        v0 = Avx512BW.UnpackLow(z, w0).AsSingle() * scale;
        v1 = Avx512BW.UnpackHigh(z, w0).AsSingle() * scale;
        v2 = Avx512BW.UnpackLow(z, w1).AsSingle() * scale;
        v3 = Avx512BW.UnpackHigh(z, w1).AsSingle() * scale;
    }

    /// <summary>dst[j] = e4m3(src[j]) * scale for j in [0, 64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode64(byte* src, Vector512<float> scale, in Tables t, float* dst)
    {
        Decode64(src, scale, t, out var v0, out var v1, out var v2, out var v3);   // bit 7 (sign) is not an index bit: OR-ed in
        v0.Store(dst); v1.Store(dst + 16); v2.Store(dst + 32); v3.Store(dst + 48);
    }

    /// <summary>
    /// One token against four FP8 rows with the decode fused into the dot: s_r = sum_j x[j] * w_r[j] for
    /// j in [0, n), n a multiple of 64, the run starting on a 128-column block (scales_r: the row's
    /// block scales from there). Each lane's FMA chain and the reduction are MatMulDot.Rows4's on the
    /// decoded panel, so the sums are bit-identical to the panel path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows4(float* x, byte* w0, byte* w1, byte* w2, byte* w3, byte* s0, byte* s1, byte* s2, byte* s3, int n, in Tables t, float* s)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int j = 0; j < n; j += 64)
        {
            int b = j / WeightMatrix.Fp8Block;
            // The next four rows' same columns (4n bytes on): four interleaved row streams leave the
            // hardware prefetcher behind on one core. A prefetch never faults past the matrix's end.
            Sse.Prefetch0(w0 + 4L * n + j); Sse.Prefetch0(w1 + 4L * n + j); Sse.Prefetch0(w2 + 4L * n + j); Sse.Prefetch0(w3 + 4L * n + j);
            var x0 = Vector512.Load(x + j); var x1 = Vector512.Load(x + j + 16);
            var x2 = Vector512.Load(x + j + 32); var x3 = Vector512.Load(x + j + 48);
            c0 = Fma4(w0 + j, MatMulDecode.E8M0(s0[b]), t, x0, x1, x2, x3, c0);
            c1 = Fma4(w1 + j, MatMulDecode.E8M0(s1[b]), t, x0, x1, x2, x3, c1);
            c2 = Fma4(w2 + j, MatMulDecode.E8M0(s2[b]), t, x0, x1, x2, x3, c2);
            c3 = Fma4(w3 + j, MatMulDecode.E8M0(s3[b]), t, x0, x1, x2, x3, c3);
        }
        s[0] = Vector512.Sum(c0); s[1] = Vector512.Sum(c1); s[2] = Vector512.Sum(c2); s[3] = Vector512.Sum(c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma4(byte* w, float scale, in Tables t, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, Vector512<float> c)
    {
        Decode64(w, Vector512.Create(scale), t, out var v0, out var v1, out var v2, out var v3);
        c = Vector512.FusedMultiplyAdd(x0, v0, c);
        c = Vector512.FusedMultiplyAdd(x1, v1, c);
        c = Vector512.FusedMultiplyAdd(x2, v2, c);
        return Vector512.FusedMultiplyAdd(x3, v3, c);
    }
}
