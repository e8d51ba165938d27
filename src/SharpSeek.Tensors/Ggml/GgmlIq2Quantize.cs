// Boundary: float32 -> IQ2_XXS (f16 d; per 32 values 4 grid bytes + a u32 of four 7-bit sign codes and
// a 4-bit scale), IQ2_XS (f16 d; per 16 values two u16 of a 9-bit grid index and 7-bit signs; 4-bit
// scales) and IQ2_S (f16 d; per 16 values two 10-bit grid indices, two raw sign bytes; 4-bit scales)
// as ggml's quantize_row_iq2_xxs_impl / iq2_xs_impl / iq2_s_impl compute them. IQ2_XXS and IQ2_XS need
// an importance matrix (ggml refuses them without one); IQ2_S falls back to weights sigma2/4 + x^2.
using static SharpSeek.Tensors.Ggml.GgmlIqSearch;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlIq2Quantize
{
    private const int KMaxQ = 3;

    /// <summary>One IQ2_XXS block (66 bytes) from 256 values and their importance (256 weights).</summary>
    public static void IQ2_XXS(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        if (qw.IsEmpty) throw new ArgumentException("IQ2_XXS needs an importance matrix (ggml refuses to quantise it without one)", nameof(qw));
        GgmlIqGrid grid = GgmlIqGrid.Iq2Xxs;
        y.Clear();
        Span<uint> q2 = stackalloc uint[16];
        Span<float> scales = stackalloc float[8], weight = stackalloc float[32], waux = stackalloc float[32], xval = stackalloc float[32];
        Span<sbyte> L = stackalloc sbyte[32];
        Span<byte> signs = stackalloc byte[4];
        float sigma2 = Sigma2(x, 1), maxScale = 0;
        for (int ib = 0; ib < 8; ib++)
        {
            // 1. weights, signs folded out (even count of negatives per 8)
            ReadOnlySpan<float> xb = x.Slice(32 * ib, 32);
            Weights(xb, qw.Slice(32 * ib, 32), sigma2, weight, Fallback.Squares);
            for (int i = 0; i < 32; i++) waux[i] = MathF.Sqrt(weight[i]);
            for (int k = 0; k < 4; k++) signs[k] = FoldSigns(xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), xval.Slice(8 * k, 8), even: true);
            float max = Max(xval);
            if (max < 1e-15f) { scales[ib] = 0; L.Clear(); continue; }
            // 2. a first scale from make_qp_quants, trials around it, every group refitted
            float scale = MakeQp(KMaxQ + 1, xval, weight, L);
            scale = Fit(grid, KMaxQ, xval, weight, waux, scale * KMaxQ, scale, 6, 0.1f, Refit.All, L);
            if (scale < 0)
            {
                scale = -scale;
                for (int k = 0; k < 4; k++) signs[k] = (byte)(~signs[k] & 127);
            }
            // 3. grid bytes and sign codes
            for (int k = 0; k < 4; k++)
            {
                q2[2 * ib] |= (uint)OnGrid(grid, L.Slice(8 * k, 8)) << (8 * k);
                q2[2 * ib + 1] |= (uint)signs[k] << (7 * k);
            }
            scales[ib] = scale;
            maxScale = MathF.Max(maxScale, scale);
        }
        if (maxScale == 0) return;
        // 4. d = largest scale / 31; 4-bit sub-block scales in the top of each sign word
        float d = maxScale / 31;
        GgmlKQuantize.WriteHalf(y, 0, d);
        float id = 1 / d;
        for (int ib = 0; ib < 8; ib++) q2[2 * ib + 1] |= (uint)ScaleCode(id, scales[ib], 15) << 28;
        for (int i = 0; i < 16; i++) BitConverter.TryWriteBytes(y.Slice(2 + 4 * i, 4), q2[i]);
    }

    /// <summary>One IQ2_XS block (74 bytes) from 256 values and their importance (256 weights).</summary>
    public static void IQ2_XS(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        if (qw.IsEmpty) throw new ArgumentException("IQ2_XS needs an importance matrix (ggml refuses to quantise it without one)", nameof(qw));
        GgmlIqGrid grid = GgmlIqGrid.Iq2Xs;
        y.Clear();
        Span<ushort> q2 = stackalloc ushort[32];
        Span<float> scales = stackalloc float[16];
        Span<byte> signs = stackalloc byte[2];
        Span<sbyte> L = stackalloc sbyte[16];
        float sigma2 = Sigma2(x, 1), maxScale = 0;
        for (int ib = 0; ib < 16; ib++)
        {
            if (!SubBlock16(grid, x.Slice(16 * ib, 16), qw.Slice(16 * ib, 16), sigma2, Fallback.Squares, 1e-15f, even: true, L, signs, out scales[ib])) continue;
            for (int k = 0; k < 2; k++) q2[2 * ib + k] = (ushort)(OnGrid(grid, L.Slice(8 * k, 8)) | signs[k] << 9);
            maxScale = MathF.Max(maxScale, scales[ib]);
        }
        if (maxScale == 0) return;
        float d = maxScale / 31;
        GgmlKQuantize.WriteHalf(y, 0, d);
        float id = 1 / d;
        for (int i = 0; i < 32; i++) BitConverter.TryWriteBytes(y.Slice(2 + 2 * i, 2), q2[i]);
        for (int ib = 0; ib < 16; ib++) y[66 + ib / 2] |= (byte)(ScaleCode(id, scales[ib], 15) << (4 * (ib % 2)));
    }

    /// <summary>One IQ2_S block (82 bytes) from 256 values and their importance (256 weights, or empty).</summary>
    public static void IQ2_S(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        GgmlIqGrid grid = GgmlIqGrid.Iq2S;
        y.Clear();
        Span<float> scales = stackalloc float[16];
        Span<byte> qs = y.Slice(2, 32), signsOut = y.Slice(34, 32), qh = y.Slice(66, 8);
        Span<byte> signs = stackalloc byte[2];
        Span<sbyte> L = stackalloc sbyte[16];
        float sigma2 = Sigma2(x, 2), maxScale = 0;
        for (int ib = 0; ib < 16; ib++)
        {
            if (!SubBlock16(grid, x.Slice(16 * ib, 16), qw.IsEmpty ? default : qw.Slice(16 * ib, 16), sigma2, Fallback.QuarterSigmaPlusSquares, 1e-8f, even: false, L, signs, out scales[ib])) continue;
            for (int k = 0; k < 2; k++)
            {
                int g = OnGrid(grid, L.Slice(8 * k, 8)), i8 = 2 * ib + k;
                qs[i8] = (byte)g;
                qh[i8 / 4] |= (byte)((g >> 8) << (2 * (i8 % 4)));
                signsOut[i8] = signs[k];
            }
            maxScale = MathF.Max(maxScale, scales[ib]);
        }
        if (maxScale == 0) return;
        float d = maxScale / 31;
        GgmlKQuantize.WriteHalf(y, 0, d * 0.9875f);
        float id = 1 / d;
        for (int ib = 0; ib < 16; ib++) y[74 + ib / 2] |= (byte)(ScaleCode(id, scales[ib], 15) << (4 * (ib % 2)));
    }

    // One 16-value sub-block of IQ2_XS / IQ2_S: weights, signs, the trial-scale search over two groups of 8.
    // False (scale 0, nothing to store) for a sub-block below eps; a negative scale flips the signs.
    private static bool SubBlock16(GgmlIqGrid grid, ReadOnlySpan<float> xb, ReadOnlySpan<float> qw, float sigma2, Fallback fallback, float eps,
        bool even, Span<sbyte> L, Span<byte> signs, out float scale)
    {
        Span<float> weight = stackalloc float[16], waux = stackalloc float[16], xval = stackalloc float[16];
        Weights(xb, qw, sigma2, weight, fallback);
        for (int i = 0; i < 16; i++) waux[i] = MathF.Sqrt(weight[i]);
        for (int k = 0; k < 2; k++) signs[k] = FoldSigns(xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), xval.Slice(8 * k, 8), even);
        float max = Max(xval);
        scale = 0;
        if (max < eps) return false;
        scale = Fit(grid, KMaxQ, xval, weight, waux, max, max / (2 * KMaxQ - 1), 9, 0.1f, Refit.OffGrid, L);
        if (scale < 0)
        {
            scale = -scale;
            for (int k = 0; k < 2; k++) signs[k] = (byte)(even ? ~signs[k] & 127 : ~signs[k]);
        }
        return true;
    }

    // make_qp_quants: levels 0..nmax of non-negative x with the weighted least-squares scale, from the
    // best of 9 trial scales and up to 5 passes moving one level at a time.
    private static float MakeQp(int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<sbyte> L)
    {
        int n = x.Length;
        float max = 0;
        for (int i = 0; i < n; i++) max = max > x[i] ? max : x[i];
        if (max == 0) { L.Clear(); return 0; }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[i] = (sbyte)GgmlKQuantize.NearestInt(iscale * x[i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++)
        {
            float diff = x[i] - scale * L[i];
            bestMse += w[i] * diff * diff;
        }
        for (int t = -4; t <= 4; t++)
        {
            if (t == 0) continue;
            float iscaleT = (0.1f * t + nmax) / max;
            float scaleT = 1 / iscaleT;
            float mse = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Min(nmax, GgmlKQuantize.NearestInt(iscaleT * x[i]));
                float diff = x[i] - scaleT * l;
                mse += w[i] * diff * diff;
            }
            if (mse < bestMse) { bestMse = mse; iscale = iscaleT; }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Min(nmax, GgmlKQuantize.NearestInt(iscale * x[i]));
            L[i] = (sbyte)l;
            sumlx += w[i] * x[i] * l;
            suml2 += w[i] * l * l;
        }
        for (int pass = 0; pass < 5; pass++)
        {
            int changed = 0;
            for (int i = 0; i < n; i++)
            {
                int li = L[i];
                float slx = sumlx - w[i] * x[i] * li;
                float sl2 = suml2 - w[i] * li * li;
                if (slx > 0 && sl2 > 0)
                {
                    int newL = Math.Min(nmax, GgmlKQuantize.NearestInt(x[i] * sl2 / slx));
                    if (newL != li)
                    {
                        slx += w[i] * x[i] * newL;
                        sl2 += w[i] * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) { L[i] = (sbyte)newL; sumlx = slx; suml2 = sl2; changed++; }
                    }
                }
            }
            if (changed == 0) break;
        }
        return sumlx / suml2;
    }
}
