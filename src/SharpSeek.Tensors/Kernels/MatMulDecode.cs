// Vectorised, exact decoding of a run of one weight row into float32 for the fast MatMul
// (BF16 widen by shift, FP8 e4m3 by bit placement, FP4 e2m1 by a 16-entry permute). Every value
// equals WeightMatrix.DecodeRow bit for bit; non-AVX-512 machines take the scalar table loops.
// With AVX-512 VBMI, FP8 runs of 64 codes take MatMulDecodeVbmi (byte tables, fewer shuffles).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class MatMulDecode
{
    /// <summary>2^(code-127) for every e8m0 code (NaN for 0xFF); immutable after construction.</summary>
    private static readonly float[] s_e8m0 = BuildE8M0();

    private static float[] BuildE8M0()
    {
        var t = new float[256];
        for (int c = 0; c < 256; c++) t[c] = Fp8E8M0.Decode((byte)c);
        return t;
    }

    /// <summary>dst[j] = bf16(src[j]) for j in [0, count).</summary>
    public static void Bf16(ushort* src, int count, float* dst)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= count - 32; j += 32)
            {
                var v = Vector512.Load(src + j);
                (Vector512<uint> lo, Vector512<uint> hi) = Vector512.Widen(v);
                Vector512.ShiftLeft(lo, 16).AsSingle().Store(dst + j);
                Vector512.ShiftLeft(hi, 16).AsSingle().Store(dst + j + 16);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= count - 16; j += 16)
            {
                var v = Vector256.Load(src + j);
                (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(v);
                Vector256.ShiftLeft(lo, 16).AsSingle().Store(dst + j);
                Vector256.ShiftLeft(hi, 16).AsSingle().Store(dst + j + 8);
            }
        }
        for (; j < count; j++) dst[j] = BitConverter.Int32BitsToSingle(src[j] << 16);
    }

    /// <summary>
    /// dst[j] = e4m3(src[j]) * 2^(scales[j / 128] - 127) for j in [0, count); the run starts on a
    /// 128-column block boundary. AVX-512: the 128-entry magnitude table (NaN at 0x7F) is scaled
    /// once per block (exact: a power of two), looked up with four two-register permutes selected
    /// by index bits 5 and 6, and the sign bit is OR-ed in. (Placing the code bits into a float and
    /// rescaling by a multiply is cheaper in ops but hits subnormal-operand assists on subnormal codes.)
    /// </summary>
    public static void Fp8(byte* src, byte* scales, int count, float* dst)
    {
        ReadOnlySpan<float> table = Fp8E4M3.Table;
        if (Avx512F.IsSupported && count >= 16)
        {
            fixed (float* pt = table)
            {
                Vector512<float> q0 = Vector512.Load(pt), q1 = Vector512.Load(pt + 16), q2 = Vector512.Load(pt + 32), q3 = Vector512.Load(pt + 48);
                Vector512<float> q4 = Vector512.Load(pt + 64), q5 = Vector512.Load(pt + 80), q6 = Vector512.Load(pt + 96), q7 = Vector512.Load(pt + 112);
                var bit5 = Vector512.Create(32);
                var bit6 = Vector512.Create(64);
                var signBit = Vector512.Create(unchecked((int)0x8000_0000));
                bool vbmi = MatMulDecodeVbmi.IsSupported;
                var bytes = vbmi ? new MatMulDecodeVbmi.Tables() : default;
                for (int b0 = 0; b0 < count; b0 += WeightMatrix.Fp8Block)
                {
                    int b1 = Math.Min(count, b0 + WeightMatrix.Fp8Block);
                    float sc = s_e8m0[scales[b0 / WeightMatrix.Fp8Block]];
                    int j = b0;
                    if (vbmi)
                    {
                        var scv = Vector512.Create(sc);
                        for (; j <= b1 - 64; j += 64) MatMulDecodeVbmi.Decode64(src + j, scv, bytes, dst + j);
                        if (j == b1) continue;
                    }
                    Vector512<float> t0 = q0 * sc, t1 = q1 * sc, t2 = q2 * sc, t3 = q3 * sc;
                    Vector512<float> t4 = q4 * sc, t5 = q5 * sc, t6 = q6 * sc, t7 = q7 * sc;
                    for (; j <= b1 - 16; j += 16)
                    {
                        Vector512<int> c = Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)src + j)); // sign-extended code
                        Vector512<float> lo = Vector512.ConditionalSelect(Vector512.Equals(c & bit5, bit5).AsSingle(),
                            Avx512F.PermuteVar16x32x2(t2, c, t3), Avx512F.PermuteVar16x32x2(t0, c, t1));
                        Vector512<float> hi = Vector512.ConditionalSelect(Vector512.Equals(c & bit5, bit5).AsSingle(),
                            Avx512F.PermuteVar16x32x2(t6, c, t7), Avx512F.PermuteVar16x32x2(t4, c, t5));
                        Vector512<float> mag = Vector512.ConditionalSelect(Vector512.Equals(c & bit6, bit6).AsSingle(), hi, lo);
                        (mag.AsInt32() | (c & signBit)).AsSingle().Store(dst + j);
                    }
                    for (; j < b1; j++) dst[j] = table[src[j]] * sc;
                }
            }
            return;
        }
        for (int j = 0; j < count; j++) dst[j] = table[src[j]] * s_e8m0[scales[j / WeightMatrix.Fp8Block]];
    }

    /// <summary>
    /// dst[j] = e2m1(nibble j of src) * 2^(scales[j / 32] - 127) for j in [0, count), count a
    /// multiple of 32; low nibble = even column. The 16-entry table is scaled once per block.
    /// </summary>
    public static void Fp4(byte* src, byte* scales, int count, float* dst)
    {
        ReadOnlySpan<float> table = Fp4E2M1.Table;
        if (Avx512F.IsSupported)
        {
            var lut = Vector512.Create(table);
            var idxLo = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            var idxHi = Vector512.Create(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
            var shifts = Vector512.Create(0u, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);
            for (int j = 0; j < count; j += WeightMatrix.Fp4Block)
            {
                Vector512<float> scaled = lut * s_e8m0[scales[j / WeightMatrix.Fp4Block]];
                Vector512<uint> bytes = Avx512F.ConvertToVector512UInt32(Vector128.Load(src + j / 2)); // 16 bytes = 32 codes
                Vector512<uint> lo = Avx512F.ShiftRightLogicalVariable(Avx512F.PermuteVar16x32(bytes, idxLo.AsUInt32()), shifts);
                Vector512<uint> hi = Avx512F.ShiftRightLogicalVariable(Avx512F.PermuteVar16x32(bytes, idxHi.AsUInt32()), shifts);
                Avx512F.PermuteVar16x32(scaled, lo.AsInt32()).Store(dst + j);      // only the low 4 index bits count
                Avx512F.PermuteVar16x32(scaled, hi.AsInt32()).Store(dst + j + 16);
            }
            return;
        }
        for (int j = 0; j < count; j += 2)
        {
            float s = s_e8m0[scales[j / WeightMatrix.Fp4Block]];
            byte b = src[j >> 1];
            dst[j] = table[b & 0xF] * s;
            dst[j + 1] = table[b >> 4] * s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float E8M0(byte code) => s_e8m0[code];
}
