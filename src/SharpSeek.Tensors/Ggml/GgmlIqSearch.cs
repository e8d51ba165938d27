// Boundary: the steps ggml's grid quantisers (IQ2_XXS/XS/S, IQ3_XXS/S) share, written once: the
// per-value weights (importance x sqrt(sigma2 + x^2), or a fallback without an importance matrix),
// folding signs out of each 8 values (optionally keeping an even count of negatives, as the 7-bit
// sign codes require), the scale search over trial scales with each group of values snapped to the
// grid (or its best neighbour), the refit of off-grid groups, and the 4-bit sub-block scale code.
// Float operations are ggml's in its order (no fused multiply-adds), so the bytes are ggml's.
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlIqSearch
{
    /// <summary>Weights when no importance matrix is given: x^2, or sigma2 / 4 + x^2 (IQ2_S).</summary>
    public enum Fallback { Squares, QuarterSigmaPlusSquares }

    /// <summary>Which groups are snapped again to the grid at the best scale.</summary>
    public enum Refit
    {
        /// <summary>Only the groups off the grid at the best trial, if any (IQ2_XS, IQ2_S, IQ3_XXS).</summary>
        OffGrid,
        /// <summary>Every group, if any was off the grid (IQ3_S).</summary>
        AllIfAnyOffGrid,
        /// <summary>Every group whenever the scale is positive (IQ2_XXS).</summary>
        All,
    }

    /// <summary>factor x (sum of squares of the 256 values) / 256.</summary>
    public static float Sigma2(ReadOnlySpan<float> x, float factor)
    {
        float sumx2 = 0;
        for (int i = 0; i < x.Length; i++) sumx2 += x[i] * x[i];
        return factor * sumx2 / 256;
    }

    public static void Weights(ReadOnlySpan<float> xb, ReadOnlySpan<float> qw, float sigma2, Span<float> weight, Fallback fallback)
    {
        for (int i = 0; i < xb.Length; i++)
            weight[i] = !qw.IsEmpty ? qw[i] * MathF.Sqrt(sigma2 + xb[i] * xb[i])
                : fallback == Fallback.Squares ? xb[i] * xb[i] : 0.25f * sigma2 + xb[i] * xb[i];
    }

    /// <summary>
    /// |x| of 8 values into xval and their sign bits (bit i = x[i] negative). With <paramref name="even"/>,
    /// an odd count of negatives flips the value of least weight x^2 back (it is then coded with the
    /// wrong sign) and the 7 low bits are returned.
    /// </summary>
    public static byte FoldSigns(ReadOnlySpan<float> xb, ReadOnlySpan<float> weight, Span<float> xval, bool even)
    {
        int s = 0, flips = 0;
        for (int i = 0; i < 8; i++)
        {
            if (xb[i] >= 0) xval[i] = xb[i];
            else { xval[i] = -xb[i]; flips++; s |= 1 << i; }
        }
        if (!even) return (byte)s;
        if (flips % 2 == 1)
        {
            int imin = 0;
            float min = weight[0] * xb[0] * xb[0];
            for (int i = 1; i < 8; i++)
            {
                float ax = weight[i] * xb[i] * xb[i];
                if (ax < min) { min = ax; imin = i; }
            }
            xval[imin] = -xval[imin];
            s ^= 1 << imin;
        }
        return (byte)(s & 127);
    }

    /// <summary>The larger of the values (ggml's MAX, first operand on ties).</summary>
    public static float Max(ReadOnlySpan<float> xval)
    {
        float max = xval[0];
        for (int i = 1; i < xval.Length; i++) max = max > xval[i] ? max : xval[i];
        return max;
    }

    /// <summary>
    /// The scale of xval (non-negative) on <paramref name="grid"/> with levels 0..kMaxQ-1 per value:
    /// trial inverse scales (2 kMaxQ - 1 + t x step) / max for t in [-trials, trials], each group snapped to
    /// the grid (an off-grid point to its best neighbour at that trial's scale), the least-squares scale
    /// of the best trial kept (L gets its levels), then groups refitted as <paramref name="refit"/> says.
    /// Returns <paramref name="scale0"/> if no trial fits (all weights zero).
    /// </summary>
    public static float Fit(GgmlIqGrid grid, int kMaxQ, ReadOnlySpan<float> xval, ReadOnlySpan<float> weight, ReadOnlySpan<float> waux,
        float max, float scale0, int trials, float step, Refit refit, Span<sbyte> L)
    {
        int dim = grid.Dim, groups = xval.Length / dim;
        Span<sbyte> laux = stackalloc sbyte[xval.Length];
        Span<bool> onGrid = stackalloc bool[groups], onGridAux = stackalloc bool[groups];
        onGrid.Fill(refit != Refit.AllIfAnyOffGrid);
        float best = 0, scale = scale0;
        // 1. trial scales
        for (int t = -trials; t <= trials; t++)
        {
            float id = (2 * kMaxQ - 1 + t * step) / max;
            float thisScale = 1 / id;
            for (int k = 0; k < groups; k++)
            {
                int key = Snap(grid, kMaxQ, id, xval.Slice(dim * k, dim), laux.Slice(dim * k, dim));
                onGridAux[k] = grid.Find(key) >= 0;
                if (!onGridAux[k]) grid.BestNeighbour(key, xval.Slice(dim * k, dim), waux.Slice(dim * k, dim), thisScale, laux.Slice(dim * k, dim));
            }
            var (sumqx, sumq2) = Sums(weight, xval, laux);
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
            {
                scale = sumqx / sumq2;
                best = scale * sumqx;
                laux.CopyTo(L);
                onGridAux.CopyTo(onGrid);
            }
        }
        // 2. refit at the best scale
        bool anyOff = onGrid.Contains(false);
        if (scale > 0 && (refit == Refit.All || anyOff))
        {
            float id = 1 / scale;
            for (int k = 0; k < groups; k++)
            {
                if (refit == Refit.OffGrid && onGrid[k]) continue;
                int key = Snap(grid, kMaxQ, id, xval.Slice(dim * k, dim), L.Slice(dim * k, dim));
                if (grid.Find(key) < 0) grid.BestNeighbour(key, xval.Slice(dim * k, dim), waux.Slice(dim * k, dim), scale, L.Slice(dim * k, dim));
            }
            var (sumqx, sumq2) = Sums(weight, xval, L);
            if (sumq2 > 0) scale = sumqx / sumq2;
        }
        return scale;
    }

    // Levels nearest xval x id on the odd lattice 2l + 1, clamped to [0, kMaxQ - 1]; returns their key.
    private static int Snap(GgmlIqGrid grid, int kMaxQ, float id, ReadOnlySpan<float> xval, Span<sbyte> L)
    {
        for (int i = 0; i < xval.Length; i++)
            L[i] = (sbyte)Math.Max(0, Math.Min(kMaxQ - 1, GgmlKQuantize.NearestInt(0.5f * (id * xval[i] - 1))));
        return grid.Key(L);
    }

    /// <summary>Weighted sums of q x and q^2 with q = 2l + 1.</summary>
    public static (float SumQX, float SumQ2) Sums(ReadOnlySpan<float> weight, ReadOnlySpan<float> xval, ReadOnlySpan<sbyte> L)
    {
        float sumqx = 0, sumq2 = 0;
        for (int i = 0; i < xval.Length; i++)
        {
            float w = weight[i], q = 2 * L[i] + 1;
            sumqx += w * xval[i] * q;
            sumq2 += w * q * q;
        }
        return (sumqx, sumq2);
    }

    /// <summary>The grid index of levels that must be on the grid (a search result).</summary>
    public static int OnGrid(GgmlIqGrid grid, ReadOnlySpan<sbyte> L)
    {
        int g = grid.Find(grid.Key(L));
        return g >= 0 ? g : throw new InvalidOperationException("quantised point is not on the grid (degenerate weights: zero importance over a whole group?)");
    }

    /// <summary>A sub-block scale as the odd multiple 2l + 1 of d / 2 nearest it (id = 1 / d), l in [0, max].</summary>
    public static int ScaleCode(float id, float scale, int max) => Math.Max(0, Math.Min(max, GgmlKQuantize.NearestInt(0.5f * (id * scale - 1))));
}
