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

    /// <summary>dst[j] = e4m3(src[j]) * scale for j in [0, 64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode64(byte* src, Vector512<float> scale, in Tables t, float* dst)
    {
        Vector512<byte> c = Avx512Vbmi.PermuteVar64x8(Vector512.Load(src), t.Order);
        Vector512<byte> hi = Avx512Vbmi.PermuteVar64x8x2(t.Hi0, c, t.Hi1) | (c & Vector512.Create((byte)0x80));  // bit 7 (sign) is not an index bit
        Vector512<byte> lo = Avx512Vbmi.PermuteVar64x8x2(t.Lo0, c, t.Lo1);
        Vector512<ushort> w0 = Avx512BW.UnpackLow(lo, hi).AsUInt16(), w1 = Avx512BW.UnpackHigh(lo, hi).AsUInt16();
        Vector512<ushort> z = Vector512<ushort>.Zero;
        (Avx512BW.UnpackLow(z, w0).AsSingle() * scale).Store(dst);
        (Avx512BW.UnpackHigh(z, w0).AsSingle() * scale).Store(dst + 16);
        (Avx512BW.UnpackLow(z, w1).AsSingle() * scale).Store(dst + 32);
        (Avx512BW.UnpackHigh(z, w1).AsSingle() * scale).Store(dst + 48);
    }
}
