// Boundary: float32 -> IQ3_XXS (f16 d; per 32 values 8 bytes of 256-point grid indices (4 values each)
// and a u32 of four 7-bit sign codes and a 4-bit scale) and IQ3_S (f16 d; per 32 values 8 indices into
// a 512-point grid (9th bits in qh), 4 raw sign bytes, 4-bit scales in pairs) as ggml's
// quantize_row_iq3_xxs_impl / quantize_row_iq3_s_impl compute them; without an importance matrix the
// weights are x^2. Levels 0..7 per value (grid coordinates 2l + 1).
using static SharpSeek.Tensors.Ggml.GgmlIqSearch;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlIq3Quantize
{
    private const int KMaxQ = 8;

    /// <summary>One IQ3_XXS block (98 bytes) from 256 values and their importance (256 weights, or empty).</summary>
    public static void IQ3_XXS(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        GgmlIqGrid grid = GgmlIqGrid.Iq3Xxs;
        y.Clear();
        Span<byte> qs = y.Slice(2, 64);
        Span<uint> scalesAndSigns = stackalloc uint[8];
        Span<float> scales = stackalloc float[8], weight = stackalloc float[32], waux = stackalloc float[32], xval = stackalloc float[32];
        Span<sbyte> L = stackalloc sbyte[32];
        Span<byte> signs = stackalloc byte[4];
        float sigma2 = Sigma2(x, 2), maxScale = 0;
        for (int ib = 0; ib < 8; ib++)
        {
            // 1. weights, signs folded out (even count of negatives per 8)
            ReadOnlySpan<float> xb = x.Slice(32 * ib, 32);
            Weights(xb, qw.IsEmpty ? default : qw.Slice(32 * ib, 32), sigma2, weight, Fallback.Squares);
            for (int i = 0; i < 32; i++) waux[i] = MathF.Sqrt(weight[i]);
            for (int k = 0; k < 4; k++) signs[k] = FoldSigns(xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), xval.Slice(8 * k, 8), even: true);
            float max = Max(xval);
            if (max < 1e-8f) { scales[ib] = 0; continue; }
            // 2. 31 trial scales in steps of 0.2, off-grid groups of 4 refitted
            float scale = Fit(grid, KMaxQ, xval, weight, waux, max, max / (2 * KMaxQ - 1), 15, 0.2f, Refit.OffGrid, L);
            if (scale < 0)
            {
                scale = -scale;
                for (int k = 0; k < 4; k++) signs[k] = (byte)(~signs[k] & 127);
            }
            // 3. grid indices, sign codes
            for (int k = 0; k < 8; k++) qs[8 * ib + k] = (byte)OnGrid(grid, L.Slice(4 * k, 4));
            scalesAndSigns[ib] = (uint)(signs[0] | signs[1] << 7 | signs[2] << 14 | signs[3] << 21);
            scales[ib] = scale;
            maxScale = MathF.Max(maxScale, scale);
        }
        if (maxScale == 0) { qs.Clear(); return; }
        // 4. d = largest scale / 31 (stored x 1.0125); 4-bit scales in the top of each sign word
        float d = maxScale / 31;
        GgmlKQuantize.WriteHalf(y, 0, d * 1.0125f);
        float id = 1 / d;
        for (int ib = 0; ib < 8; ib++)
        {
            scalesAndSigns[ib] |= (uint)ScaleCode(id, scales[ib], 15) << 28;
            BitConverter.TryWriteBytes(y.Slice(66 + 4 * ib, 4), scalesAndSigns[ib]);
        }
    }

    /// <summary>One IQ3_S block (110 bytes) from 256 values and their importance (256 weights, or empty).</summary>
    public static void IQ3_S(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        GgmlIqGrid grid = GgmlIqGrid.Iq3S;
        y.Clear();
        Span<byte> qs = y.Slice(2, 64), qh = y.Slice(66, 8), signsOut = y.Slice(74, 32);
        Span<float> scales = stackalloc float[8], weight = stackalloc float[32], waux = stackalloc float[32], xval = stackalloc float[32];
        Span<sbyte> L = stackalloc sbyte[32];
        Span<byte> signs = stackalloc byte[4];
        float sigma2 = Sigma2(x, 2), maxScale = 0;
        // ggml advances its index and sign cursors only past stored sub-blocks: an all-zero sub-block
        // shifts the later ones' indices and signs down (its qh bits stay at their own position)
        int at = 0;
        for (int ib = 0; ib < 8; ib++)
        {
            // 1. weights, raw signs
            ReadOnlySpan<float> xb = x.Slice(32 * ib, 32);
            Weights(xb, qw.IsEmpty ? default : qw.Slice(32 * ib, 32), sigma2, weight, Fallback.Squares);
            for (int i = 0; i < 32; i++) waux[i] = MathF.Sqrt(weight[i]);
            for (int k = 0; k < 4; k++) signs[k] = FoldSigns(xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), xval.Slice(8 * k, 8), even: false);
            float max = Max(xval);
            if (max == 0) { scales[ib] = 0; continue; }
            // 2. 19 trial scales in steps of 0.2; if any group is off the grid, all are refitted
            float scale = Fit(grid, KMaxQ, xval, weight, waux, max, max / (2 * KMaxQ - 1), 9, 0.2f, Refit.AllIfAnyOffGrid, L);
            if (scale < 0)
            {
                scale = -scale;
                for (int k = 0; k < 4; k++) signs[k] = (byte)~signs[k];
            }
            // 3. 9-bit grid indices, signs
            for (int k = 0; k < 8; k++)
            {
                int g = OnGrid(grid, L.Slice(4 * k, 4));
                qs[8 * at + k] = (byte)g;
                qh[ib] |= (byte)((g >> 8) << k);
            }
            signs.CopyTo(signsOut.Slice(4 * at, 4));
            at++;
            scales[ib] = scale;
            maxScale = MathF.Max(maxScale, scale);
        }
        if (maxScale == 0) return;
        // 4. d = largest scale / 31 (stored x 1.033); 4-bit scales two per byte
        float d = maxScale / 31;
        GgmlKQuantize.WriteHalf(y, 0, d * 1.033f);
        float id = 1 / d;
        for (int ib = 0; ib < 8; ib += 2)
            y[106 + ib / 2] = (byte)(ScaleCode(id, scales[ib], 15) | ScaleCode(id, scales[ib + 1], 15) << 4);
    }
}
