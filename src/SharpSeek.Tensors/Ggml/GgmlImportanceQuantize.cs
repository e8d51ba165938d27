// Boundary: float32 -> Q4_0, Q4_1, Q5_0, Q5_1 and Q2_K..Q5_K blocks with an importance matrix, as ggml's
// quantize_row_*_impl compute them when llama-quantize passes --imatrix (Q6_K, IQ4_NL and IQ4_XS take the
// importance inside their own quantisers). The search weights are importance x sqrt(sigma2 + x^2), sigma2
// the mean square of the row (legacy formats) or of the 256-value block (K formats, twice it for Q3_K..Q5_K);
// the K formats' sub-block scales are fitted by make_qp_quants, weighted by each sub-block's weight sum.
// The float operations are ggml's in its order, so the bytes are ggml's (tests/fixtures/ggml/ggml-quants-imatrix.gguf).
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlImportanceQuantize
{
    private static int NearestInt(float x) => GgmlKQuantize.NearestInt(x);

    /// <summary>Mean of x^2 over a row, ggml's sigma2 for the legacy formats (summed in order, divided by the count).</summary>
    public static float MeanSquare(ReadOnlySpan<float> row)
    {
        float sum = 0;
        for (int j = 0; j < row.Length; ++j) sum += row[j] * row[j];
        return sum / row.Length;
    }

    // weight[j] = qw[j] sqrt(sigma2 + x[j]^2); returns their sum (in order).
    private static float Weights(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, float sigma2, Span<float> weight)
    {
        float sum = 0;
        for (int j = 0; j < x.Length; ++j)
        {
            weight[j] = qw[j] * MathF.Sqrt(sigma2 + x[j] * x[j]);
            sum += weight[j];
        }
        return sum;
    }

    private static float SumSquares(ReadOnlySpan<float> x)
    {
        float sum = 0;
        for (int j = 0; j < x.Length; ++j) sum += x[j] * x[j];
        return sum;
    }

    /// <summary>Q4_0 with importance: symmetric codes 0..15 and d from make_qx_quants (nmax 8) under the weights; no re-fit.</summary>
    public static void Q4_0(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw, float rowSigma2)
    {
        Span<float> weight = stackalloc float[32];
        Span<sbyte> L = stackalloc sbyte[32];
        Weights(x, qw, rowSigma2, weight);
        GgmlKQuantize.WriteHalf(y, 0, GgmlKQuantize.MakeQx(32, 8, x, L, weight));
        for (int j = 0; j < 16; ++j) y[2 + j] = (byte)((byte)L[j] | ((byte)L[j + 16] << 4));
    }

    /// <summary>Q5_0 with importance: as Q4_0 with nmax 16, the fifth bits in a 32-bit qh.</summary>
    public static void Q5_0(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw, float rowSigma2)
    {
        Span<float> weight = stackalloc float[32];
        Span<sbyte> L = stackalloc sbyte[32];
        Weights(x, qw, rowSigma2, weight);
        GgmlKQuantize.WriteHalf(y, 0, GgmlKQuantize.MakeQx(32, 16, x, L, weight));
        PackFive(L, y.Slice(2, 4), y.Slice(6, 16));
    }

    /// <summary>Q4_1 with importance: codes 0..15, scale and min from make_qkx3_quants under the weights; no re-fit.</summary>
    public static void Q4_1(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw, float rowSigma2)
    {
        Span<byte> L = stackalloc byte[32];
        ScaleAndMin(x, y, qw, rowSigma2, 15, L);
        for (int j = 0; j < 16; ++j) y[4 + j] = (byte)(L[j] | (L[j + 16] << 4));
    }

    /// <summary>Q5_1 with importance: as Q4_1 with codes 0..31, the fifth bits in a 32-bit qh.</summary>
    public static void Q5_1(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw, float rowSigma2)
    {
        Span<byte> L = stackalloc byte[32];
        ScaleAndMin(x, y, qw, rowSigma2, 31, L);
        PackFive(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(L), y.Slice(4, 4), y.Slice(8, 16));
    }

    // Q4_1 / Q5_1: f16 d and f16 m (the fitted min) at bytes 0 and 2, codes into L.
    private static void ScaleAndMin(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw, float rowSigma2, int nmax, Span<byte> L)
    {
        Span<float> weight = stackalloc float[32];
        Span<byte> laux = stackalloc byte[32];
        Weights(x, qw, rowSigma2, weight);
        float d = GgmlKQuantize.MakeQkx2(32, nmax, x, weight, L, out float min, laux, -0.9f, 0.05f, 36, false);
        GgmlKQuantize.WriteHalf(y, 0, d);
        GgmlKQuantize.WriteHalf(y, 2, -min);
    }

    // 32 five-bit codes: low nibbles value j / j + 16 in byte j, fifth bits in qh bit j / j + 16.
    private static void PackFive(ReadOnlySpan<sbyte> L, Span<byte> qhBytes, Span<byte> qs)
    {
        uint qh = 0;
        for (int j = 0; j < 16; ++j)
        {
            int q0 = (byte)L[j], q1 = (byte)L[j + 16];
            qs[j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= (uint)((q0 & 0x10) >> 4) << j;
            qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
        }
        BitConverter.TryWriteBytes(qhBytes, qh);
    }

    /// <summary>Q2_K with importance (quantize_row_q2_K_impl): per 16 values scale and min (make_qkx3_quants, 36 trial
    /// offsets from -0.9), both sets in 4 bits by make_qp_quants, then the codes against the stored values.</summary>
    public static void Q2_K(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw)
    {
        Span<byte> L = stackalloc byte[256], laux = stackalloc byte[16], ls = stackalloc byte[16], lm = stackalloc byte[16];
        Span<float> weight = stackalloc float[16], mins = stackalloc float[16], scales = stackalloc float[16], sw = stackalloc float[16];
        // 1. per sub-block: weights, their sum, scale and min
        float sigma2 = SumSquares(x[..256]) / 256;
        for (int j = 0; j < 16; ++j)
        {
            sw[j] = Weights(x.Slice(16 * j, 16), qw.Slice(16 * j, 16), sigma2, weight);
            scales[j] = GgmlKQuantize.MakeQkx2(16, 3, x.Slice(16 * j, 16), weight, L.Slice(16 * j, 16), out mins[j], laux, -0.9f, 0.05f, 36, false);
        }
        // 2. scales and mins as 4-bit multiples of d and dmin
        float dm = MakeQp(16, 15, scales, ls, sw), mm = MakeQp(16, 15, mins, lm, sw);
        GgmlKQuantize.WriteHalf(y, 80, dm);
        GgmlKQuantize.WriteHalf(y, 82, mm);
        for (int j = 0; j < 16; ++j) y[j] = (byte)(ls[j] | (lm[j] << 4));
        // 3. codes against the stored values
        GgmlKQuantize.Q2Codes(x, y, L);
    }

    /// <summary>Q3_K with importance (quantize_row_q3_K_impl): per 16 values a signed scale by make_qx_quants under the
    /// weights, the 16 scales themselves by make_qx_quants (nmax 32) weighted by the sub-block sums.</summary>
    public static void Q3_K(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw)
    {
        Span<sbyte> L = stackalloc sbyte[256], ls = stackalloc sbyte[16];
        Span<float> weight = stackalloc float[16], scales = stackalloc float[16], sw = stackalloc float[16];
        // 1. per sub-block: weights, their sum, a signed scale
        float sigma2 = 2 * SumSquares(x[..256]) / 256;
        for (int j = 0; j < 16; ++j)
        {
            sw[j] = Weights(x.Slice(16 * j, 16), qw.Slice(16 * j, 16), sigma2, weight);
            scales[j] = GgmlKQuantize.MakeQx(16, 4, x.Slice(16 * j, 16), L.Slice(16 * j, 16), weight);
        }
        // 2. the scales as 6-bit codes (offset 32) against d: low nibbles in bytes 0..7, top two bits in 8..11
        Span<byte> sc = y.Slice(96, 12);
        sc.Clear();
        float dBlock = GgmlKQuantize.MakeQx(16, 32, scales, ls, sw);
        for (int j = 0; j < 16; ++j)
        {
            int l = ls[j];
            if (j < 8) sc[j] = (byte)(l & 0xF);
            else sc[j - 8] |= (byte)((l & 0xF) << 4);
            sc[j % 4 + 8] |= (byte)((l >> 4) << (2 * (j / 4)));
        }
        GgmlKQuantize.WriteHalf(y, 108, dBlock);
        // 3. codes against the stored values
        GgmlKQuantize.Q3Codes(x, y, L);
    }

    /// <summary>Q4_K with importance (quantize_row_q4_K_impl).</summary>
    public static void Q4_K(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw)
    {
        Span<byte> L = stackalloc byte[256];
        ScalesMinsAndCodes(x, y, qw, L, 15, clampTo63: false);
        GgmlKQuantize.PackQ4(L, y);
    }

    /// <summary>Q5_K with importance (quantize_row_q5_K_impl).</summary>
    public static void Q5_K(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw)
    {
        Span<byte> L = stackalloc byte[256];
        ScalesMinsAndCodes(x, y, qw, L, 31, clampTo63: true);
        GgmlKQuantize.PackQ5(L, y);
    }

    // Q4_K / Q5_K: per 32 values scale and min (make_qkx3_quants), both sets in 6 bits by make_qp_quants, codes
    // against the stored values. ggml's Q5_K clamps the 6-bit codes to 63 again, its Q4_K does not.
    private static void ScalesMinsAndCodes(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw, Span<byte> L, int nmax, bool clampTo63)
    {
        Span<byte> laux = stackalloc byte[32], ls = stackalloc byte[8], lm = stackalloc byte[8];
        Span<float> weight = stackalloc float[32], mins = stackalloc float[8], scales = stackalloc float[8], sw = stackalloc float[8];
        // 1. per sub-block: weights, their sum, scale and min
        float sigma2 = 2 * SumSquares(x[..256]) / 256;
        for (int j = 0; j < 8; ++j)
        {
            sw[j] = Weights(x.Slice(32 * j, 32), qw.Slice(32 * j, 32), sigma2, weight);
            scales[j] = GgmlKQuantize.MakeQkx2(32, nmax, x.Slice(32 * j, 32), weight, L.Slice(32 * j, 32), out mins[j], laux, -0.9f, 0.05f, 36, false);
        }
        // 2. scales and mins in 6 bits against d and dmin
        float dBlock = MakeQp(8, 63, scales, ls, sw), mBlock = MakeQp(8, 63, mins, lm, sw);
        if (clampTo63)
            for (int j = 0; j < 8; ++j) { ls[j] = Math.Min((byte)63, ls[j]); lm[j] = Math.Min((byte)63, lm[j]); }
        GgmlKQuantize.PackScalesMins(y, ls, lm);
        GgmlKQuantize.WriteHalf(y, 0, dBlock);
        GgmlKQuantize.WriteHalf(y, 2, mBlock);
        // 3. codes against the stored values
        GgmlKQuantize.CodesAgainstStored(x, y, L, nmax);
    }

    /// <summary>
    /// make_qp_quants: non-negative codes L in [0, nmax] and one scale for <paramref name="n"/> non-negative values
    /// (sub-block scales or mins) minimising the qw-weighted squared error: the best of 9 trial scales, then up to
    /// 5 passes of single-code moves. Codes are kept as ggml's uint8 (a negative code wraps as it does there).
    /// </summary>
    internal static float MakeQp(int n, int nmax, ReadOnlySpan<float> x, Span<byte> L, ReadOnlySpan<float> qw)
    {
        float max = 0;
        for (int i = 0; i < n; ++i) max = max > x[i] ? max : x[i];
        if (max == 0)
        {
            L[..n].Clear();
            return 0f;
        }
        // 1. the trial scale (nmax + 0.1 k) / max, k in -4..4, of least weighted error
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i) L[i] = (byte)NearestInt(iscale * x[i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i)
        {
            float diff = x[i] - scale * L[i];
            bestMse += qw[i] * diff * diff;
        }
        for (int k = -4; k <= 4; ++k)
        {
            if (k == 0) continue;
            float iscaleK = (0.1f * k + nmax) / max;
            float scaleK = 1 / iscaleK;
            float mse = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = Math.Min(nmax, NearestInt(iscaleK * x[i]));
                float diff = x[i] - scaleK * l;
                mse += qw[i] * diff * diff;
            }
            if (mse < bestMse)
            {
                bestMse = mse;
                iscale = iscaleK;
            }
        }
        // 2. codes at that scale and their least-squares scale
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Math.Min(nmax, NearestInt(iscale * x[i]));
            L[i] = (byte)l;
            float w = qw[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        // 3. move single codes while the fit improves
        for (int pass = 0; pass < 5; ++pass)
        {
            int changed = 0;
            for (int i = 0; i < n; ++i)
            {
                float w = qw[i];
                float slx = sumlx - w * x[i] * L[i];
                float sl2 = suml2 - w * L[i] * L[i];
                if (!(slx > 0 && sl2 > 0)) continue;
                int moved = Math.Min(nmax, NearestInt(x[i] * sl2 / slx));
                if (moved == L[i]) continue;
                slx += w * x[i] * moved;
                sl2 += w * moved * moved;
                if (slx * slx * suml2 > sumlx * sumlx * sl2)
                {
                    L[i] = (byte)moved; sumlx = slx; suml2 = sl2;
                    ++changed;
                }
            }
            if (changed == 0) break;
        }
        return sumlx / suml2;
    }
}
