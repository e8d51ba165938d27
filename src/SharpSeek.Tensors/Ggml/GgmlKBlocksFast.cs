// Boundary: vectorised decoding of ggml's 256-element "K" super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)
// into float32 panels. Codes are unpacked 32 at a time in byte vectors and widened to float; each output
// is then the twin's float operations in the twin's order (scale products computed once per sub-block
// as scalars, exactly as GgmlKBlocks does), so the values equal the scalar twin bit for bit (tested).
// Callers check Avx2.IsSupported (GgmlBlocksFast.IsVectorised). Every code here lies in -32..63, so
// one signed widening serves them all.
using System.Runtime.Intrinsics;
using static SharpSeek.Tensors.Ggml.GgmlLanes;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlKBlocksFast
{
    public static void Q2_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> scales = x[..16];
        float d = GgmlBlocks.Half(x, 80), min = GgmlBlocks.Half(x, 82);
        var three = Vector256.Create((byte)3);
        int o = 0, s = 0;
        for (int n = 0; n < 256; n += 128)
        {
            Vector256<byte> q = Vector256.Create(x.Slice(16 + n / 4, 32));
            for (int shift = 0; shift < 8; shift += 2, o += 32, s += 2)
            {
                // codes 0..15: one sub-block, 16..31: the next, each with its scale and min
                byte sc0 = scales[s], sc1 = scales[s + 1];
                ScaleSub32((Vector256.ShiftRightLogical(q, shift) & three).AsSByte(),
                    d * (sc0 & 0xF), min * (sc0 >> 4), d * (sc1 & 0xF), min * (sc1 >> 4), y, o);
            }
        }
    }

    public static void Q3_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float dAll = GgmlBlocks.Half(x, 108);
        Span<int> scales = stackalloc int[16];
        GgmlKBlocks.Q3Scales(x.Slice(96, 12), scales);
        Vector256<byte> hm = Vector256.Create(x[..32]);
        var three = Vector256.Create((byte)3);
        var four = Vector256.Create((byte)4);
        int o = 0, s = 0, m = 1;
        for (int n = 0; n < 256; n += 128)
        {
            Vector256<byte> q = Vector256.Create(x.Slice(32 + n / 4, 32));
            for (int shift = 0; shift < 8; shift += 2, m <<= 1, o += 32, s += 2)
            {
                // 2 low bits, minus 4 where the hmask bit is clear: the signed code -4..3 in a byte
                Vector256<byte> missing = Vector256.Equals(hm & Vector256.Create((byte)m), Vector256<byte>.Zero) & four;
                Scale32(((Vector256.ShiftRightLogical(q, shift) & three) - missing).AsSByte(), dAll * scales[s], dAll * scales[s + 1], y, o);
            }
        }
    }

    public static void Q4_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), min = GgmlBlocks.Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12);
        var mask = Vector256.Create((byte)0xF);
        for (int j = 0, s = 0; j < 256; j += 64, s += 2)
        {
            var (sc1, m1) = GgmlKBlocks.ScaleMin(scales, s);
            var (sc2, m2) = GgmlKBlocks.ScaleMin(scales, s + 1);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            Vector256<byte> q = Vector256.Create(x.Slice(16 + j / 2, 32));
            ScaleSub32((q & mask).AsSByte(), d1, mm1, d1, mm1, y, j);
            ScaleSub32(Vector256.ShiftRightLogical(q, 4).AsSByte(), d2, mm2, d2, mm2, y, j + 32);
        }
    }

    public static void Q5_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), min = GgmlBlocks.Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12);
        Vector256<byte> qh = Vector256.Create(x.Slice(16, 32));
        var mask = Vector256.Create((byte)0xF);
        var sixteen = Vector256.Create((byte)16);
        for (int j = 0, s = 0, u1 = 1, u2 = 2; j < 256; j += 64, s += 2, u1 <<= 2, u2 <<= 2)
        {
            var (sc1, m1) = GgmlKBlocks.ScaleMin(scales, s);
            var (sc2, m2) = GgmlKBlocks.ScaleMin(scales, s + 1);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            Vector256<byte> ql = Vector256.Create(x.Slice(48 + j / 2, 32));
            var b1 = Vector256.Create((byte)u1);
            var b2 = Vector256.Create((byte)u2);
            // nibble + 16 where the qh bit is set (an or: the nibble is below 16)
            ScaleSub32(((ql & mask) | (Vector256.Equals(qh & b1, b1) & sixteen)).AsSByte(), d1, mm1, d1, mm1, y, j);
            ScaleSub32((Vector256.ShiftRightLogical(ql, 4) | (Vector256.Equals(qh & b2, b2) & sixteen)).AsSByte(), d2, mm2, d2, mm2, y, j + 32);
        }
    }

    public static void Q6_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 208);
        var low4 = Vector256.Create((byte)0xF);
        var two = Vector256.Create((byte)3);
        var bias = Vector256.Create((byte)32);
        for (int n = 0; n < 2; n++)
        {
            Vector256<byte> ql0 = Vector256.Create(x.Slice(64 * n, 32)), ql1 = Vector256.Create(x.Slice(64 * n + 32, 32));
            Vector256<byte> h = Vector256.Create(x.Slice(128 + 32 * n, 32));
            ReadOnlySpan<byte> sc = x.Slice(192 + 8 * n, 8);
            // The four 32-value groups: low/high nibbles of ql0/ql1 with 2 high bits each from qh, minus 32.
            for (int g = 0; g < 4; g++)
            {
                Vector256<byte> nib = g switch { 0 => ql0 & low4, 1 => ql1 & low4, 2 => Vector256.ShiftRightLogical(ql0, 4), _ => Vector256.ShiftRightLogical(ql1, 4) };
                Vector256<byte> high = Vector256.ShiftLeft(Vector256.ShiftRightLogical(h, 2 * g) & two, 4);
                // (d * sc) * q, the twin's left-to-right order; 16 values per scale
                Scale32(((nib | high) - bias).AsSByte(), d * (sbyte)sc[2 * g], d * (sbyte)sc[2 * g + 1], y, 128 * n + 32 * g);
            }
        }
    }
}
