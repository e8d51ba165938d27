// Boundary: float32 -> IQ1_S (f16 d; per 32 values four 11-bit indices into the 2048-point ternary grid,
// a 3-bit scale and the sign of the shift delta) and IQ1_M (per 16 values two 11-bit indices and a
// 3-bit scale, a delta sign per 8 values, d as an f16 spread over the scale words) as ggml's
// quantize_row_iq1_s_impl / quantize_row_iq1_m_impl compute them: values ordered, the exact weighted
// least-squares split into the three levels -1, 0, 1 (shifted by +-1/8) found over every pair of
// boundaries, groups of 8 snapped to the grid (or their best neighbour). IQ1_S needs an importance
// matrix (ggml refuses it without one); IQ1_M falls back to weights x^2.
using static SharpSeek.Tensors.Ggml.GgmlIqSearch;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlIq1Quantize
{
    private const float Delta = 0.125f;
    private const float FltMin = 1.17549435e-38f;   // C's FLT_MIN: the search starts from -FLT_MIN
    // Levels 0, 1, 2 as -1, 0, 1 shifted up (P) or down (M) by the delta.
    private const float P0 = -1 + Delta, P1 = Delta, P2 = 1 + Delta, M0 = -1 - Delta, M1 = -Delta, M2 = 1 - Delta;
    private static ReadOnlySpan<float> P => [P0, P1, P2];
    private static ReadOnlySpan<float> M => [M0, M1, M2];
    private static ReadOnlySpan<byte> ShiftMasks => [0x00, 0x80, 0x08, 0x88];
    private const string ZeroWeights = "no split of the sub-block has a positive weighted norm (importance zero over the whole sub-block?); ggml aborts here";

    /// <summary>One IQ1_S block (50 bytes) from 256 values and their importance (256 weights).</summary>
    public static void IQ1_S(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        if (qw.IsEmpty) throw new ArgumentException("IQ1_S needs an importance matrix (ggml refuses to quantise it without one)", nameof(qw));
        GgmlIqGrid grid = GgmlIqGrid.Iq1;
        y.Clear();
        Span<byte> qs = y.Slice(2, 32);
        Span<float> scales = stackalloc float[8], weight = stackalloc float[32], sumx = stackalloc float[33], sumw = stackalloc float[33];
        Span<int> shifts = stackalloc int[8], order = stackalloc int[32], index = stackalloc int[4];
        Span<sbyte> L = stackalloc sbyte[32];
        float sigma2 = Sigma2(x, 2), maxScale = 0;
        for (int ib = 0; ib < 8; ib++)
        {
            ReadOnlySpan<float> xb = x.Slice(32 * ib, 32);
            Weights(xb, qw.Slice(32 * ib, 32), sigma2, weight, Fallback.Squares);
            float max = AbsMax(xb);
            if (max < 1e-12f) { scales[ib] = 0; continue; }
            // 1. prefix sums of w x and w over the values in ascending order
            Order(xb, order);
            sumx[0] = sumw[0] = 0;
            for (int j = 0; j < 32; j++)
            {
                int i = order[j];
                sumx[j + 1] = sumx[j] + weight[i] * xb[i];
                sumw[j + 1] = sumw[j] + weight[i];
            }
            // 2. every split [0, i1) [i1, i2) [i2, 32) into levels 0, 1, 2, delta up then down
            float bestScore = -FltMin, scale = max;
            int best1 = -1, best2 = -1, shift = 0;
            for (int i1 = 0; i1 <= 32; i1++)
                for (int i2 = i1; i2 <= 32; i2++)
                {
                    float x0 = sumx[i1] - sumx[0], x1 = sumx[i2] - sumx[i1], x2 = sumx[32] - sumx[i2];
                    float w0 = sumw[i1] - sumw[0], w1 = sumw[i2] - sumw[i1], w2 = sumw[32] - sumw[i2];
                    for (int s = 1; s >= -1; s -= 2)
                    {
                        float v0 = s == 1 ? P0 : M0, v1 = s == 1 ? P1 : M1, v2 = s == 1 ? P2 : M2;
                        float sumqx = x0 * v0 + x1 * v1 + x2 * v2;
                        float sumq2 = w0 * v0 * v0 + w1 * v1 * v1 + w2 * v2 * v2;
                        if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2)
                        {
                            scale = sumqx / sumq2; bestScore = scale * sumqx;
                            best1 = i1; best2 = i2; shift = s;
                        }
                    }
                }
            if (best1 < 0) throw new InvalidOperationException(ZeroWeights);
            Split(order, best1, best2, L);
            if (scale < 0)
            {
                for (int j = 0; j < 32; j++) L[j] = (sbyte)(2 - L[j]);
                scale = -scale; shift = -shift;
            }
            // 3. groups of 8 onto the grid, the scale refitted if any moved
            ReadOnlySpan<float> xx = shift == 1 ? P : M;
            bool allOnGrid = true;
            for (int k = 0; k < 4; k++)
            {
                int key = grid.Key(L.Slice(8 * k, 8));
                index[k] = grid.Find(key);
                if (index[k] < 0)
                {
                    allOnGrid = false;
                    index[k] = BestNeighbour(grid, key, xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), scale, xx, L.Slice(8 * k, 8));
                }
            }
            if (!allOnGrid)
            {
                float sumqx = 0, sumq2 = 0;
                for (int k = 0; k < 4; k++) Accumulate(grid, index[k], xx, 1, xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), ref sumqx, ref sumq2);
                if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
            }
            // 4. low index bytes; high bits 3 per group in the sub-block's u16
            int h = 0;
            for (int k = 0; k < 4; k++)
            {
                qs[4 * ib + k] = (byte)index[k];
                h |= (index[k] >> 8) << (3 * k);
            }
            BitConverter.TryWriteBytes(y.Slice(34 + 2 * ib, 2), (ushort)h);
            scales[ib] = scale;
            shifts[ib] = shift;
            maxScale = MathF.Max(maxScale, scale);
        }
        if (maxScale == 0) return;
        // 5. d = largest scale / 15 (stored x 1.125); 3-bit scales and the delta sign in the top of each u16
        float d = maxScale / 15;
        GgmlKQuantize.WriteHalf(y, 0, d * 1.125f);
        float id = 1 / d;
        for (int ib = 0; ib < 8; ib++)
        {
            int l = ScaleCode(id, scales[ib], 7);
            if (shifts[ib] == -1) l |= 8;
            y[34 + 2 * ib + 1] |= (byte)(l << 4);
        }
    }

    /// <summary>One IQ1_M block (56 bytes) from 256 values and their importance (256 weights, or empty).</summary>
    public static void IQ1_M(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        GgmlIqGrid grid = GgmlIqGrid.Iq1;
        y.Clear();
        Span<byte> qs = y[..32], qh = y.Slice(32, 16);
        Span<float> scales = stackalloc float[16], weight = stackalloc float[16], sumqx = stackalloc float[4], sumq2 = stackalloc float[4];
        Span<int> shifts = stackalloc int[16], order = stackalloc int[16], index = stackalloc int[2];
        Span<sbyte> L = stackalloc sbyte[16];
        float sigma2 = Sigma2(x, 2), maxScale = 0;
        for (int ib = 0; ib < 16; ib++)
        {
            ReadOnlySpan<float> xb = x.Slice(16 * ib, 16);
            Weights(xb, qw.IsEmpty ? default : qw.Slice(16 * ib, 16), sigma2, weight, Fallback.Squares);
            float max = AbsMax(xb);
            if (max < 1e-7f) { scales[ib] = 0; continue; }
            // 1. every split of the ordered values into levels 0, 1, 2, with the delta's sign chosen per
            //    8 values: k = 0 (+, +), 1 (+, -), 2 (-, +), 3 (-, -); sums in ggml's order, from scratch
            Order(xb, order);
            float bestScore = -FltMin, scale = max;
            int best1 = -1, best2 = -1, bestK = -1;
            for (int i1 = 0; i1 <= 16; i1++)
                for (int i2 = i1; i2 <= 16; i2++)
                {
                    // first-half values take the first sign (k < 2: +), second-half ones the second (k even: +)
                    float qx0 = 0, qx1 = 0, qx2 = 0, qx3 = 0, q20 = 0, q21 = 0, q22 = 0, q23 = 0;
                    for (int j = 0; j < 16; j++)
                    {
                        int i = order[j];
                        float p = j < i1 ? P0 : j < i2 ? P1 : P2, m = j < i1 ? M0 : j < i2 ? M1 : M2;
                        float w = weight[i], wpx = w * p * xb[i], wmx = w * m * xb[i], wpp = w * p * p, wmm = w * m * m;
                        qx0 += wpx; q20 += wpp;
                        qx3 += wmx; q23 += wmm;
                        if (i < 8) { qx1 += wpx; q21 += wpp; qx2 += wmx; q22 += wmm; }
                        else { qx1 += wmx; q21 += wmm; qx2 += wpx; q22 += wpp; }
                    }
                    sumqx[0] = qx0; sumqx[1] = qx1; sumqx[2] = qx2; sumqx[3] = qx3;
                    sumq2[0] = q20; sumq2[1] = q21; sumq2[2] = q22; sumq2[3] = q23;
                    for (int k = 0; k < 4; k++)
                        if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > bestScore * sumq2[k])
                        {
                            scale = sumqx[k] / sumq2[k]; bestScore = scale * sumqx[k];
                            best1 = i1; best2 = i2; bestK = k;
                        }
                }
            if (best1 < 0) throw new InvalidOperationException(ZeroWeights);
            Split(order, best1, best2, L);
            if (scale < 0)
            {
                for (int j = 0; j < 16; j++) L[j] = (sbyte)(2 - L[j]);
                scale = -scale; bestK = 3 - bestK;
            }
            // 2. both groups onto the grid, the scale refitted if any moved
            bool allOnGrid = true;
            for (int k = 0; k < 2; k++)
            {
                int key = grid.Key(L.Slice(8 * k, 8));
                index[k] = grid.Find(key);
                if (index[k] < 0)
                {
                    allOnGrid = false;
                    index[k] = BestNeighbour(grid, key, xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), scale, Shifted(bestK, k), L.Slice(8 * k, 8));
                }
            }
            if (!allOnGrid)
            {
                float fx = 0, f2 = 0;
                for (int k = 0; k < 2; k++) Accumulate(grid, index[k], Shifted(bestK, k), 1, xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), ref fx, ref f2);
                if (fx > 0 && f2 > 0) scale = fx / f2;
            }
            qs[2 * ib] = (byte)index[0];
            qs[2 * ib + 1] = (byte)index[1];
            qh[ib] = (byte)((index[0] >> 8) | (index[1] >> 8) << 4);
            scales[ib] = scale;
            shifts[ib] = bestK;
            maxScale = MathF.Max(maxScale, scale);
        }
        if (maxScale == 0) return;
        // 3. 3-bit scales against max / 15, then d refitted over the whole block as stored (x 1.1125)
        Span<ushort> sc = stackalloc ushort[4];
        float d = maxScale / 15, id = 1 / d, sumqxF = 0, sumq2F = 0;
        for (int ib = 0; ib < 16; ib++)
        {
            int l = ScaleCode(id, scales[ib], 7);
            sc[ib / 4] |= (ushort)(l << (3 * (ib % 4)));
            qh[ib] |= ShiftMasks[shifts[ib]];
            ReadOnlySpan<float> xb = x.Slice(16 * ib, 16);
            Weights(xb, qw.IsEmpty ? default : qw.Slice(16 * ib, 16), sigma2, weight, Fallback.Squares);
            for (int k = 0; k < 2; k++)
            {
                int g = qs[2 * ib + k] + ((qh[ib] << (8 - 4 * k)) & 0x700);
                Accumulate(grid, g, Shifted(shifts[ib], k), 2 * l + 1, xb.Slice(8 * k, 8), weight.Slice(8 * k, 8), ref sumqxF, ref sumq2F);
            }
        }
        if (sumq2F > 0) d = sumqxF / sumq2F;
        ushort s = Codecs.F16.Encode(d * 1.1125f);
        sc[0] |= (ushort)((s & 0x000f) << 12);
        sc[1] |= (ushort)((s & 0x00f0) << 8);
        sc[2] |= (ushort)((s & 0x0f00) << 4);
        sc[3] |= (ushort)(s & 0xf000);
        for (int i = 0; i < 4; i++) BitConverter.TryWriteBytes(y.Slice(48 + 2 * i, 2), sc[i]);
    }

    // The shifted levels of 8-value group k (0 or 1) under IQ1_M's delta choice k2.
    private static ReadOnlySpan<float> Shifted(int k2, int group) => (group == 0 ? k2 < 2 : k2 % 2 == 0) ? P : M;

    private static float AbsMax(ReadOnlySpan<float> xb)
    {
        float max = MathF.Abs(xb[0]);
        for (int i = 1; i < xb.Length; i++) max = max > MathF.Abs(xb[i]) ? max : MathF.Abs(xb[i]);
        return max;
    }

    // Indices of xb in ascending order of value, equal values in index order (glibc's qsort is a merge sort).
    private static void Order(ReadOnlySpan<float> xb, Span<int> order)
    {
        for (int j = 0; j < xb.Length; j++)
        {
            int at = j;
            while (at > 0 && xb[order[at - 1]] > xb[j]) { order[at] = order[at - 1]; at--; }
            order[at] = j;
        }
    }

    // Levels by position in the order: [0, i1) -> 0, [i1, i2) -> 1, the rest -> 2.
    private static void Split(ReadOnlySpan<int> order, int i1, int i2, Span<sbyte> L)
    {
        for (int j = 0; j < order.Length; j++) L[order[j]] = (sbyte)(j < i1 ? 0 : j < i2 ? 1 : 2);
    }

    // sum w q x and w q^2 over one group, q = the shifted level of grid entry g times mul.
    private static void Accumulate(GgmlIqGrid grid, int g, ReadOnlySpan<float> xx, int mul, ReadOnlySpan<float> xb, ReadOnlySpan<float> weight, ref float sumqx, ref float sumq2)
    {
        ReadOnlySpan<sbyte> p = grid.Levels(g);
        for (int j = 0; j < 8; j++)
        {
            float w = weight[j], q = xx[p[j]] * mul;
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
    }

    private static readonly Lazy<float[]> s_up = new(() => GgmlIqGrid.Iq1.PointsOn(P)), s_down = new(() => GgmlIqGrid.Iq1.PointsOn(M));

    // iq1_find_best_neighbour2: the neighbour nearest x at this scale on the shifted levels (first wins ties),
    // the same weighted distance as the other grids' search with the grid valued on the shifted levels.
    private static int BestNeighbour(GgmlIqGrid grid, int key, ReadOnlySpan<float> xb, ReadOnlySpan<float> weight, float scale, ReadOnlySpan<float> xx, Span<sbyte> L) =>
        grid.BestNeighbour(key, xb, weight, scale, L, xx[0] == P0 ? s_up.Value : s_down.Value);
}
