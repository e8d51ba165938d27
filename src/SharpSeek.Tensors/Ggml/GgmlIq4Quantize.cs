// Boundary: float32 -> IQ4_NL (32 values: f16 d, 16 bytes of 4-bit indices) and IQ4_XS (256 values:
// f16 d, 6-bit signed sub-block scales split in scales_h / scales_l, 128 bytes of indices) as ggml's
// quantize_iq4_nl / quantize_iq4_xs compute them, with or without an importance matrix: indices into the
// non-linear 16-value code book, a weighted least-squares scale per 32 values searched over 15
// trial scales, and for IQ4_XS the sub-block scales re-quantised against one block scale.
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlIq4Quantize
{
    private static ReadOnlySpan<sbyte> Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
    private const int Trials = 7;

    /// <summary>One IQ4_NL block (18 bytes) from 32 values; importance <paramref name="qw"/> (32 values, or empty) as quantize_iq4_nl's quant_weights.</summary>
    public static void IQ4_NL(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw = default)
    {
        Span<byte> L = stackalloc byte[32];
        Span<float> weight = stackalloc float[32];
        Weights(x, qw, weight);
        float scale = SubBlock(x, L, weight);
        GgmlKQuantize.WriteHalf(y, 0, scale);
        // the single sub-block: indices again against the unrounded scale
        float id = scale != 0 ? 1 / scale : 0;
        for (int j = 0; j < 32; ++j) L[j] = BestIndex(id * x[j]);
        Pack(L, y.Slice(2, 16));
    }

    /// <summary>One IQ4_XS block (136 bytes) from 256 values; importance <paramref name="qw"/> (256 values, or empty) as quantize_iq4_xs's quant_weights.</summary>
    public static void IQ4_XS(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> qw = default)
    {
        Span<byte> L = stackalloc byte[256];
        Span<float> scales = stackalloc float[8], weight = stackalloc float[256];
        Weights(x, qw, weight);
        // 1. a scale per 32 values; the one of largest magnitude, with its sign, sets d
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < 8; ++ib)
        {
            scales[ib] = SubBlock(x.Slice(32 * ib, 32), L.Slice(32 * ib, 32), weight.Slice(32 * ib, 32));
            float a = MathF.Abs(scales[ib]);
            if (a > amaxScale) { amaxScale = a; maxScale = scales[ib]; }
        }
        // 2. sub-block scales as 6-bit signed multiples of d (offset 32), indices against each rounded scale
        float d = -maxScale / 32;
        GgmlKQuantize.WriteHalf(y, 0, d);
        float idAll = d != 0 ? 1 / d : 0f;
        Span<byte> scalesH = y.Slice(2, 2), scalesL = y.Slice(4, 4);
        scalesH.Clear();
        ushort high = 0;
        for (int ib = 0; ib < 8; ++ib)
        {
            int l = Math.Max(-32, Math.Min(31, GgmlKQuantize.NearestInt(idAll * scales[ib])));
            float dl = d * l;
            float idl = dl != 0 ? 1 / dl : 0f;
            for (int j = 0; j < 32; ++j) L[32 * ib + j] = BestIndex(idl * x[32 * ib + j]);
            l += 32;
            if (ib % 2 == 0) scalesL[ib / 2] = (byte)(l & 0xF);
            else scalesL[ib / 2] |= (byte)((l & 0xF) << 4);
            high |= (ushort)((l >> 4) << (2 * ib));
        }
        BitConverter.TryWriteBytes(scalesH, high);
        for (int i = 0; i < 8; ++i) Pack(L.Slice(32 * i, 32), y.Slice(8 + 16 * i, 16));
    }

    // The search weights of a (super-)block: x^2 without importance; with it qw sqrt(sigma2 + x^2), sigma2
    // twice the mean square of the (super-)block.
    private static void Weights(ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<float> weight)
    {
        if (qw.IsEmpty)
        {
            for (int j = 0; j < x.Length; ++j) weight[j] = x[j] * x[j];
            return;
        }
        float sigma2 = 0;
        for (int j = 0; j < x.Length; ++j) sigma2 += x[j] * x[j];
        sigma2 *= 2f / x.Length;
        for (int j = 0; j < x.Length; ++j) weight[j] = qw[j] * MathF.Sqrt(sigma2 + x[j] * x[j]);
    }

    // The weighted least-squares scale of 32 values over the code book, best of the first guess and
    // 15 trial scales; L receives the first guess's indices. 0 for an all-zero sub-block.
    private static float SubBlock(ReadOnlySpan<float> x, Span<byte> L, ReadOnlySpan<float> weight)
    {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; ++j)
        {
            float ax = MathF.Abs(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (amax < 1e-15f) return 0;   // GROUP_MAX_EPS
        float d = -max / Values[0];
        float id = 1 / d;
        float sumqx = 0, sumq2 = 0;
        for (int j = 0; j < 32; ++j)
        {
            int l = BestIndex(id * x[j]);
            L[j] = (byte)l;
            float q = Values[l], w = weight[j];
            sumqx += w * q * x[j];
            sumq2 += w * q * q;
        }
        d = sumqx / sumq2;
        float best = d * sumqx;
        for (int trial = -Trials; trial <= Trials; ++trial)
        {
            id = (trial + Values[0]) / max;
            sumqx = sumq2 = 0;
            for (int j = 0; j < 32; ++j)
            {
                float q = Values[BestIndex(id * x[j])], w = weight[j];
                sumqx += w * q * x[j];
                sumq2 += w * q * q;
            }
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) { d = sumqx / sumq2; best = d * sumqx; }
        }
        return d;
    }

    // The code-book index nearest x (ties to the upper one, as best_index_int8).
    private static byte BestIndex(float x)
    {
        ReadOnlySpan<sbyte> v = Values;
        if (x <= v[0]) return 0;
        if (x >= v[15]) return 15;
        int lo = 0, hi = 15;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (x < v[mid]) hi = mid; else lo = mid;
        }
        return (byte)(x - v[hi - 1] < v[hi] - x ? hi - 1 : hi);
    }

    // 32 indices into 16 bytes: value j in the low nibble of byte j, value j + 16 in its high nibble.
    private static void Pack(ReadOnlySpan<byte> L, Span<byte> q)
    {
        for (int j = 0; j < 16; ++j) q[j] = (byte)(L[j] | (L[16 + j] << 4));
    }
}
