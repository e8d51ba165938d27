// Boundary: float32 -> Q2_K / Q3_K / Q4_K / Q5_K / Q6_K blocks exactly as ggml's reference quantisers compute them
// (quantize_row_q{2,4,6}_K_ref in ggml-quants.c, no importance matrix): per 16- or 32-value sub-block a
// weighted least-squares search of scale (and min: make_qkx2_quants; Q6_K's symmetric make_qx_quants),
// the sub-block scales quantised against the block's largest, then the codes re-fitted to the stored
// scales. The float operations are ggml's in its order, so the bytes are ggml's (tested on its vectors).
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlKQuantize
{
    /// <summary>ggml's nearest_int: round half to even through the 1.5 x 2^23 magic (|x| below 2^22).</summary>
    internal static int NearestInt(float x)
    {
        float v = x + 12582912f;
        return (BitConverter.SingleToInt32Bits(v) & 0x007fffff) - 0x00400000;
    }

    internal static void WriteHalf(Span<byte> y, int at, float x) => BitConverter.TryWriteBytes(y[at..], Codecs.F16.Encode(x));

    /// <summary>make_qkx2_quants: codes L in [0, nmax] and (scale, -min) minimising the weighted error. With
    /// weights given it is also make_qkx3_quants (the two differ only when weights are absent).</summary>
    internal static float MakeQkx2(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> L, out float theMin,
        Span<byte> laux, float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; ++i)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            for (int i = 0; i < n; ++i) L[i] = 0;
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = NearestInt(iscale * (x[i] - min));
            L[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * L[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (int step = 0; step <= nstep; ++step)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = NearestInt(iscale * (x[i] - min));
                l = Math.Max(0, Math.Min(nmax, l));
                laux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0)
            {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i)
                {
                    float diff = thisScale * laux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError)
                {
                    laux[..n].CopyTo(L);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>One Q2_K block (84 bytes: 16 scale/min nibble pairs, 64 code bytes, f16 d, f16 dmin) from 256 values.</summary>
    public static void Q2_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> L = stackalloc byte[256], laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16], mins = stackalloc float[16], scales = stackalloc float[16];
        Span<byte> sc = y[..16];
        const float q4scale = 15f;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; ++j)
        {
            for (int l = 0; l < 16; ++l) weights[l] = MathF.Abs(x[16 * j + l]);
            scales[j] = MakeQkx2(16, 3, x.Slice(16 * j, 16), weights, L.Slice(16 * j, 16), out mins[j], laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        if (maxScale > 0)
        {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; ++j) sc[j] = (byte)NearestInt(iscale * scales[j]);
            WriteHalf(y, 80, maxScale / q4scale);
        }
        else
        {
            sc.Clear();
            WriteHalf(y, 80, 0f);
        }
        if (maxMin > 0)
        {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; ++j) sc[j] |= (byte)(NearestInt(iscale * mins[j]) << 4);
            WriteHalf(y, 82, maxMin / q4scale);
        }
        else WriteHalf(y, 82, 0f);
        Q2Codes(x, y, L);
    }

    /// <summary>Q2_K's last step: codes 0..3 against the stored d, dmin and 4-bit scale/min pairs (bytes 0..15, 80..83), four to a byte.</summary>
    internal static void Q2Codes(ReadOnlySpan<float> x, Span<byte> y, Span<byte> L)
    {
        ReadOnlySpan<byte> sc = y[..16];
        float dAll = GgmlBlocks.Half(y, 80), dminAll = GgmlBlocks.Half(y, 82);
        for (int j = 0; j < 16; ++j)
        {
            float d = dAll * (sc[j] & 0xF);
            if (d == 0) continue;
            float dm = dminAll * (sc[j] >> 4);
            for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = (byte)Math.Max(0, Math.Min(3, NearestInt((x[16 * j + ii] + dm) / d)));
        }
        Span<byte> qs = y.Slice(16, 64);
        for (int j = 0; j < 256; j += 128)
            for (int l = 0; l < 32; ++l)
                qs[j / 4 + l] = (byte)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }

    /// <summary>One Q3_K block (110 bytes: 32 high-bit bytes, 64 bytes of 2-bit codes, 12 bytes of 6-bit signed scales, f16 d) from 256 values.</summary>
    public static void Q3_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<sbyte> L = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        Span<byte> sc = y.Slice(96, 12);
        // 1. per 16-value sub-block: a signed scale for codes -4..3 (make_q3_quants with its rmse refinement);
        //    the scale of largest magnitude, with its sign, sets the block's d
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; ++j)
        {
            scales[j] = MakeQ3(16, 4, x.Slice(16 * j, 16), L.Slice(16 * j, 16));
            float a = MathF.Abs(scales[j]);
            if (a > amax) { amax = a; maxScale = scales[j]; }
        }
        // 2. the sub-block scales in 6 bits (offset 32): low nibbles in bytes 0..7, the top two bits in bytes 8..11
        sc.Clear();
        if (maxScale != 0)
        {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; ++j)
            {
                int l = Math.Max(-32, Math.Min(31, (int)(sbyte)NearestInt(iscale * scales[j]))) + 32;
                if (j < 8) sc[j] = (byte)(l & 0xF);
                else sc[j - 8] |= (byte)((l & 0xF) << 4);
                sc[j % 4 + 8] |= (byte)((l >> 4) << (2 * (j / 4)));
            }
            WriteHalf(y, 108, 1 / iscale);
        }
        else WriteHalf(y, 108, 0f);
        Q3Codes(x, y, L);
    }

    /// <summary>Q3_K's last steps: codes against the stored d and 6-bit scales (bytes 96..109), packed as high bits and 2-bit pairs.</summary>
    internal static void Q3Codes(ReadOnlySpan<float> x, Span<byte> y, Span<sbyte> L)
    {
        Span<byte> hmask = y.Slice(0, 32), qs = y.Slice(32, 64), sc = y.Slice(96, 12);
        // 3. codes against the stored (rounded) scales, +4 so they are 0..7
        float dAll = GgmlBlocks.Half(y, 108);
        for (int j = 0; j < 16; ++j)
        {
            int low = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
            int s6 = (low | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
            float d = dAll * s6;
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = (sbyte)(Math.Max(-4, Math.Min(3, NearestInt(x[16 * j + ii] / d))) + 4);
        }
        // 4. the third bit of value j goes to hmask[j % 32], bit j / 32; the low two bits four to a byte as Q2_K
        hmask.Clear();
        for (int j = 0; j < 256; ++j)
            if (L[j] > 3) { hmask[j % 32] |= (byte)(1 << (j / 32)); L[j] -= 4; }
        for (int j = 0; j < 256; j += 128)
            for (int l = 0; l < 32; ++l)
                qs[j / 4 + l] = (byte)((byte)L[j + l] | ((byte)L[j + l + 32] << 2) | ((byte)L[j + l + 64] << 4) | ((byte)L[j + l + 96] << 6));
    }

    /// <summary>make_q3_quants with rmse refinement: codes in [-nmax, nmax) (returned offset by nmax), weights x^2, up to 5 passes of per-value moves.</summary>
    private static float MakeQ3(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> L)
    {
        if (!FirstGuess(n, nmax, x, L, 0, default, out _, out float sumlx, out float suml2)) return 0f;
        for (int pass = 0; pass < 5; ++pass)
        {
            int changed = 0;
            for (int i = 0; i < n; ++i)
            {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * L[i];
                if (slx <= 0) continue;
                float sl2 = suml2 - w * L[i] * L[i];
                int moved = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(x[i] * sl2 / slx)));
                if (moved == L[i]) continue;
                slx += w * x[i] * moved;
                sl2 += w * moved * moved;
                if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                {
                    L[i] = (sbyte)moved; sumlx = slx; suml2 = sl2;
                    ++changed;
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; ++i) L[i] += (sbyte)nmax;
        return sumlx / suml2;
    }

    /// <summary>One Q4_K block (144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 code bytes) from 256 values.</summary>
    public static void Q4_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> L = stackalloc byte[256];
        ScalesMinsAndCodes(x, y, L, 15, -1f, 20);
        PackQ4(L, y);
    }

    /// <summary>Q4_K codes (0..15) into the block's 128 code bytes: value j and j + 32 of each 64 share a byte.</summary>
    internal static void PackQ4(ReadOnlySpan<byte> L, Span<byte> y)
    {
        Span<byte> q = y.Slice(16, 128);
        for (int j = 0, o = 0; j < 256; j += 64, o += 32)
            for (int l = 0; l < 32; ++l) q[o + l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
    }

    /// <summary>One Q5_K block (176 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 32 high-bit bytes, 128 low-nibble bytes) from 256 values.</summary>
    public static void Q5_K(ReadOnlySpan<float> x, Span<byte> y)
    {
        Span<byte> L = stackalloc byte[256];
        ScalesMinsAndCodes(x, y, L, 31, -0.5f, 15);
        PackQ5(L, y);
    }

    /// <summary>Q5_K codes (0..31) into the block's high-bit and low-nibble bytes.</summary>
    internal static void PackQ5(Span<byte> L, Span<byte> y)
    {
        // low nibbles as Q4_K, the fifth bits in qh: bit 2k / 2k+1 of qh[j] for values j / j + 32 of the k-th 64
        Span<byte> qh = y.Slice(16, 32), ql = y.Slice(48, 128);
        qh.Clear();
        byte m1 = 1, m2 = 2;
        for (int n = 0, o = 0; n < 256; n += 64, o += 32)
        {
            for (int j = 0; j < 32; ++j)
            {
                int l1 = L[n + j], l2 = L[n + j + 32];
                if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                ql[o + j] = (byte)(l1 | (l2 << 4));
            }
            m1 <<= 2; m2 <<= 2;
        }
    }

    /// <summary>
    /// What Q4_K and Q5_K share: per 32-value sub-block a scale and a min for codes 0..<paramref name="nmax"/>
    /// (make_qkx2_quants, weights av|x| + |x|, trial offsets from <paramref name="rmin"/> in 0.1 steps),
    /// both in 6 bits against d and dmin (bytes 0..15 of the block), then every value's code against the
    /// stored (rounded) scale and min into L.
    /// </summary>
    private static void ScalesMinsAndCodes(ReadOnlySpan<float> x, Span<byte> y, Span<byte> L, int nmax, float rmin, int nstep)
    {
        Span<byte> laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32], mins = stackalloc float[8], scales = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        // 1. per sub-block: scale and min
        for (int j = 0; j < 8; ++j)
        {
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l) sumX2 += x[32 * j + l] * x[32 * j + l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = avX + MathF.Abs(x[32 * j + l]);
            scales[j] = MakeQkx2(32, nmax, x.Slice(32 * j, 32), weights, L.Slice(32 * j, 32), out mins[j], laux, rmin, 0.1f, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        // 2. the sub-block scales and mins in 6 bits
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        Span<byte> ls = stackalloc byte[8], lm = stackalloc byte[8];
        for (int j = 0; j < 8; ++j)
        {
            ls[j] = Math.Min((byte)63, (byte)NearestInt(invScale * scales[j]));
            lm[j] = Math.Min((byte)63, (byte)NearestInt(invMin * mins[j]));
        }
        PackScalesMins(y, ls, lm);
        WriteHalf(y, 0, maxScale / 63f);
        WriteHalf(y, 2, maxMin / 63f);
        CodesAgainstStored(x, y, L, nmax);
    }

    /// <summary>Q4_K / Q5_K: eight 6-bit scales and mins into bytes 4..15 (the first four whole, the last four split in nibbles and top bits).</summary>
    internal static void PackScalesMins(Span<byte> y, ReadOnlySpan<byte> ls, ReadOnlySpan<byte> lm)
    {
        Span<byte> sc = y.Slice(4, 12);
        sc.Clear();
        for (int j = 0; j < 8; ++j)
        {
            if (j < 4)
            {
                sc[j] = ls[j];
                sc[j + 4] = lm[j];
            }
            else
            {
                sc[j + 4] = (byte)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                sc[j - 4] |= (byte)((ls[j] >> 4) << 6);
                sc[j] |= (byte)((lm[j] >> 4) << 6);
            }
        }
    }

    /// <summary>Q4_K / Q5_K: every value's code in [0, nmax] against the stored (rounded) d, dmin, scale and min.</summary>
    internal static void CodesAgainstStored(ReadOnlySpan<float> x, Span<byte> y, Span<byte> L, int nmax)
    {
        ReadOnlySpan<byte> sc = y.Slice(4, 12);
        float dAll = GgmlBlocks.Half(y, 0), dminAll = GgmlBlocks.Half(y, 2);
        for (int j = 0; j < 8; ++j)
        {
            var (s, m) = GgmlKBlocks.ScaleMin(sc, j);
            float d = dAll * s;
            if (d == 0) continue;
            float dm = dminAll * m;
            for (int ii = 0; ii < 32; ++ii) L[32 * j + ii] = (byte)Math.Max(0, Math.Min(nmax, NearestInt((x[32 * j + ii] + dm) / d)));
        }
    }

    /// <summary>
    /// The start both symmetric searches share (make_q3_quants, make_qx_quants): the value of largest magnitude
    /// (max), codes round(-nmax x / max) in [-nmax, nmax) stored plus <paramref name="offset"/>, and their x^2-weighted
    /// sums (weights <paramref name="weights"/>, or x^2 when empty). False (L all 0) for an all-zero group (GROUP_MAX_EPS).
    /// </summary>
    private static bool FirstGuess(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> L, int offset, ReadOnlySpan<float> weights, out float max, out float sumlx, out float suml2)
    {
        float amax = 0;
        max = 0; sumlx = 0; suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < 1e-15f)
        {
            for (int i = 0; i < n; ++i) L[i] = 0;
            return false;
        }
        float iscale = -nmax / max;
        for (int i = 0; i < n; ++i)
        {
            int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
            L[i] = (sbyte)(l + offset);
            float w = weights.IsEmpty ? x[i] * x[i] : weights[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        return true;
    }

    /// <summary>make_qx_quants with rmse_type 1: symmetric codes L in [0, 2 nmax) (offset nmax), weights <paramref name="weights"/> (x^2 when empty).</summary>
    internal static float MakeQx(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> L, ReadOnlySpan<float> weights)
    {
        if (!FirstGuess(n, nmax, x, L, nmax, weights, out float max, out float sumlx, out float suml2)) return 0f;
        float iscale;
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; ++step)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i])));
                float w = weights.IsEmpty ? x[i] * x[i] : weights[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; ++i) L[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, NearestInt(iscale * x[i]))));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>One Q6_K block (210 bytes: 128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, f16 d) from 256 values;
    /// with importance <paramref name="qw"/> (256) ggml's quantize_row_q6_K_impl, which only swaps the search's x^2 weights for it.</summary>
    public static void Q6_K(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw = default)
    {
        Span<sbyte> L = stackalloc sbyte[256];
        Span<float> scales = stackalloc float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib)
        {
            float scale = MakeQx(16, 32, x.Slice(16 * ib, 16), L.Slice(16 * ib, 16), qw.IsEmpty ? default : qw.Slice(16 * ib, 16));
            scales[ib] = scale;
            float abs = MathF.Abs(scale);
            if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
        }
        y[..210].Clear();
        if (maxAbsScale < 1e-15f)
        {
            WriteHalf(y, 208, 0f);
            return;
        }
        float iscale = -128f / maxScale;
        WriteHalf(y, 208, 1 / iscale);
        Span<byte> sc = y.Slice(192, 16);
        for (int ib = 0; ib < 16; ++ib) sc[ib] = (byte)(sbyte)Math.Min(127, NearestInt(iscale * scales[ib]));
        float dAll = GgmlBlocks.Half(y, 208);
        for (int j = 0; j < 16; ++j)
        {
            float d = dAll * (sbyte)sc[j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = (sbyte)(Math.Max(-32, Math.Min(31, NearestInt(x[16 * j + ii] / d))) + 32);
        }
        for (int j = 0, o = 0; j < 256; j += 128, o++)
        {
            Span<byte> ql = y.Slice(64 * o, 64), qh = y.Slice(128 + 32 * o, 32);
            for (int l = 0; l < 32; ++l)
            {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                ql[l] = (byte)(q1 | (q3 << 4));
                ql[l + 32] = (byte)(q2 | (q4 << 4));
                qh[l] = (byte)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}
