// Boundary: vectorised decoding of the low-bit formats community V4 GGUFs use for experts and
// attention (Q2_K, Q4_K, Q6_K, IQ2_XXS) into float32 panels. Codes are unpacked 32 at a time in byte
// vectors and widened to float; each output is then the twin's float operations in the twin's order
// (scale products computed once per sub-block as scalars, exactly as GgmlKBlocks / GgmlGridBlocks do),
// so the values equal the scalar twin bit for bit (tested). Callers check Vector256.IsHardwareAccelerated.
// Every code here is below 128, so one signed widening serves them all.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlKBlocksFast
{
    /// <summary>32 signed byte codes -> 32 floats (unsigned codes below 128 pass as they are).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WidenSigned(Vector256<sbyte> v, Span<float> dst)
    {
        var (lo, hi) = Vector256.Widen(v);
        var (a, b) = Vector256.Widen(lo);
        var (c, d) = Vector256.Widen(hi);
        Vector256.ConvertToSingle(a).CopyTo(dst);
        Vector256.ConvertToSingle(b).CopyTo(dst[8..]);
        Vector256.ConvertToSingle(c).CopyTo(dst[16..]);
        Vector256.ConvertToSingle(d).CopyTo(dst[24..]);
    }

    // y[i] = scale * code[i] - offset for 16 values
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulSub16(ReadOnlySpan<float> codes, float scale, float offset, Span<float> y)
    {
        var s = Vector256.Create(scale);
        var m = Vector256.Create(offset);
        (s * Vector256.Create(codes) - m).CopyTo(y);
        (s * Vector256.Create(codes[8..]) - m).CopyTo(y[8..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mul16(ReadOnlySpan<float> codes, float scale, Span<float> y)
    {
        var s = Vector256.Create(scale);
        (s * Vector256.Create(codes)).CopyTo(y);
        (s * Vector256.Create(codes[8..])).CopyTo(y[8..]);
    }

    public static void Q2_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> scales = x[..16];
        float d = GgmlBlocks.Half(x, 80), min = GgmlBlocks.Half(x, 82);
        Span<float> codes = stackalloc float[32];
        var three = Vector256.Create((byte)3);
        int o = 0, s = 0;
        for (int n = 0; n < 256; n += 128)
        {
            Vector256<byte> q = Vector256.Create(x.Slice(16 + n / 4, 32));
            for (int shift = 0; shift < 8; shift += 2)
            {
                WidenSigned((Vector256.ShiftRightLogical(q, shift) & three).AsSByte(), codes);   // codes 0..15: first sub-block, 16..31: second
                for (int half = 0; half < 2; half++, o += 16)
                {
                    byte sc = scales[s++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    MulSub16(codes[(16 * half)..], dl, ml, y[o..]);
                }
            }
        }
    }

    public static void Q4_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), min = GgmlBlocks.Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12);
        Span<float> lo = stackalloc float[32], hi = stackalloc float[32];
        var mask = Vector256.Create((byte)0xF);
        for (int j = 0, s = 0, o = 0; j < 256; j += 64, s += 2, o += 64)
        {
            var (sc1, m1) = GgmlKBlocks.ScaleMin(scales, s);
            var (sc2, m2) = GgmlKBlocks.ScaleMin(scales, s + 1);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            Vector256<byte> q = Vector256.Create(x.Slice(16 + j / 2, 32));
            WidenSigned((q & mask).AsSByte(), lo);
            WidenSigned(Vector256.ShiftRightLogical(q, 4).AsSByte(), hi);
            MulSub16(lo, d1, mm1, y[o..]);
            MulSub16(lo[16..], d1, mm1, y[(o + 16)..]);
            MulSub16(hi, d2, mm2, y[(o + 32)..]);
            MulSub16(hi[16..], d2, mm2, y[(o + 48)..]);
        }
    }

    public static void Q6_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 208);
        Span<float> codes = stackalloc float[32];
        var low4 = Vector256.Create((byte)0xF);
        var two = Vector256.Create((byte)3);
        var bias = Vector256.Create((byte)32);
        for (int n = 0; n < 2; n++)
        {
            Vector256<byte> ql0 = Vector256.Create(x.Slice(64 * n, 32)), ql1 = Vector256.Create(x.Slice(64 * n + 32, 32));
            Vector256<byte> h = Vector256.Create(x.Slice(128 + 32 * n, 32));
            ReadOnlySpan<byte> sc = x.Slice(192 + 8 * n, 8);
            Span<float> yy = y.Slice(128 * n, 128);
            // The four 32-value groups: low/high nibbles of ql0/ql1 with 2 high bits each from qh, minus 32.
            for (int g = 0; g < 4; g++)
            {
                Vector256<byte> nib = g switch { 0 => ql0 & low4, 1 => ql1 & low4, 2 => Vector256.ShiftRightLogical(ql0, 4), _ => Vector256.ShiftRightLogical(ql1, 4) };
                Vector256<byte> high = Vector256.ShiftLeft(Vector256.ShiftRightLogical(h, 2 * g) & two, 4);
                WidenSigned(((nib | high) - bias).AsSByte(), codes);
                // yy = (d * sc) * q, the twin's left-to-right order; 16 values per scale.
                Mul16(codes, d * (sbyte)sc[2 * g], yy[(32 * g)..]);
                Mul16(codes[16..], d * (sbyte)sc[2 * g + 1], yy[(32 * g + 16)..]);
            }
        }
    }

    public static void IQ2_XXS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> gridTable = GgmlGrids.Iq2Xxs;
        Span<float> codes = stackalloc float[32];
        Span<uint> signMask = stackalloc uint[32];
        var bits = Vector256.Create(1u, 2, 4, 8, 16, 32, 64, 128);
        for (int ib = 0; ib < 8; ib++)
        {
            ReadOnlySpan<byte> q = x.Slice(2 + 8 * ib, 8);
            uint aux1 = BitConverter.ToUInt32(q[4..]);
            float db = d * (0.5f + (aux1 >> 28)) * 0.25f;
            var grid = Vector256.Create(
                BitConverter.ToUInt64(gridTable.Slice(8 * q[0], 8)), BitConverter.ToUInt64(gridTable.Slice(8 * q[1], 8)),
                BitConverter.ToUInt64(gridTable.Slice(8 * q[2], 8)), BitConverter.ToUInt64(gridTable.Slice(8 * q[3], 8))).AsByte();
            WidenSigned(grid.AsSByte(), codes);   // grid values are below 128
            for (int l = 0; l < 4; l++)
            {
                int signs = GgmlGridBlocks.Signs((int)(aux1 >> (7 * l)) & 127);
                // lane j negative where sign bit j is set: (db * g) * -1 is db * g with its sign bit flipped
                var neg = Vector256.Equals(Vector256.Create((uint)signs) & bits, bits) & Vector256.Create(0x80000000u);
                var v = (Vector256.Create(db) * Vector256.Create(codes.Slice(8 * l, 8))).AsUInt32() ^ neg;
                v.AsSingle().CopyTo(y.Slice(32 * ib + 8 * l, 8));
            }
        }
    }
}
