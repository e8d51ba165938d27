// Boundary: ggml's 256-element "K" super-blocks, decoded as ggml does. Layouts:
// Q2_K {u8 scales[16]; u8 qs[64]; f16 d, dmin}, Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d},
// Q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}, Q5_K {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]},
// Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}. Q4_K/Q5_K pack eight 6-bit scale/min pairs in 12 bytes.
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlKBlocks
{
    public static void Q2_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> scales = x[..16], qs = x.Slice(16, 64);
        float d = GgmlBlocks.Half(x, 80), min = GgmlBlocks.Half(x, 82);
        int o = 0, s = 0;
        for (int n = 0; n < 256; n += 128)
        {
            ReadOnlySpan<byte> q = qs.Slice(n / 4, 32);
            for (int shift = 0; shift < 8; shift += 2)
            {
                for (int half = 0; half < 2; half++)
                {
                    byte sc = scales[s++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++) y[o++] = dl * ((q[l + 16 * half] >> shift) & 3) - ml;
                }
            }
        }
    }

    /// <summary>Q3_K's sixteen 6-bit scales (minus 32): low 4 bits from bytes 0..7 (low then high nibbles), high 2 bits from bytes 8..11.</summary>
    internal static void Q3Scales(ReadOnlySpan<byte> packed, Span<int> scales)
    {
        for (int j = 0; j < 16; j++)
        {
            int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
            scales[j] = (low | high << 4) - 32;
        }
    }

    public static void Q3_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> hm = x[..32], qs = x.Slice(32, 64);
        float dAll = GgmlBlocks.Half(x, 108);
        Span<int> scales = stackalloc int[16];
        Q3Scales(x.Slice(96, 12), scales);
        int o = 0, s = 0, m = 1;
        for (int n = 0; n < 256; n += 128)
        {
            ReadOnlySpan<byte> q = qs.Slice(n / 4, 32);
            for (int shift = 0; shift < 8; shift += 2, m <<= 1)
            {
                for (int half = 0; half < 2; half++)
                {
                    float dl = dAll * scales[s++];
                    for (int l = 0; l < 16; l++)
                    {
                        int i = l + 16 * half;
                        y[o++] = dl * (((q[i] >> shift) & 3) - ((hm[i] & m) != 0 ? 0 : 4));
                    }
                }
            }
        }
    }

    // The j-th 6-bit scale and min of a Q4_K / Q5_K block (j in 0..7).
    internal static (int Scale, int Min) ScaleMin(ReadOnlySpan<byte> q, int j) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    public static void Q4_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), min = GgmlBlocks.Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12), qs = x.Slice(16, 128);
        int o = 0;
        for (int j = 0, s = 0; j < 256; j += 64, s += 2)
        {
            var (sc1, m1) = ScaleMin(scales, s);
            var (sc2, m2) = ScaleMin(scales, s + 1);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            ReadOnlySpan<byte> q = qs.Slice(j / 2, 32);
            for (int l = 0; l < 32; l++) y[o++] = d1 * (q[l] & 0xF) - mm1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * (q[l] >> 4) - mm2;
        }
    }

    public static void Q5_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), min = GgmlBlocks.Half(x, 2);
        ReadOnlySpan<byte> scales = x.Slice(4, 12), qh = x.Slice(16, 32), qs = x.Slice(48, 128);
        int o = 0, u1 = 1, u2 = 2;
        for (int j = 0, s = 0; j < 256; j += 64, s += 2, u1 <<= 2, u2 <<= 2)
        {
            var (sc1, m1) = ScaleMin(scales, s);
            var (sc2, m2) = ScaleMin(scales, s + 1);
            float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
            ReadOnlySpan<byte> ql = qs.Slice(j / 2, 32);
            for (int l = 0; l < 32; l++) y[o++] = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - mm1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - mm2;
        }
    }

    public static void Q6_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 208);
        for (int n = 0; n < 2; n++)
        {
            ReadOnlySpan<byte> ql = x.Slice(64 * n, 64), qh = x.Slice(128 + 32 * n, 32);
            ReadOnlySpan<byte> sc = x.Slice(192 + 8 * n, 8);
            Span<float> yy = y.Slice(128 * n, 128);
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                yy[l] = d * (sbyte)sc[s] * q1;
                yy[l + 32] = d * (sbyte)sc[s + 2] * q2;
                yy[l + 64] = d * (sbyte)sc[s + 4] * q3;
                yy[l + 96] = d * (sbyte)sc[s + 6] * q4;
            }
        }
    }
}
