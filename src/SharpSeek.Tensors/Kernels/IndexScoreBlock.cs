// The indexer's scores of many queries against many compressed keys in register tiles (prefill: the
// tokens of a chunk x the visible entries; decode: one token x the entries). Lanes are the index heads:
// each query is transposed once to Q^T [d, heads] (padded to a whole number of vectors), and a tile adds
// key[i] * Q^T[i] for i = 0..d-1 into one accumulator per (query, key), so no key is transposed and every
// lane is one fused multiply-add chain in dimension order. The epilogue takes relu, multiplies by the head
// weights and adds the heads in head order: exactly IndexScoreBlockReference's operations, bit for bit,
// so a query's scores do not depend on the queries beside it. Tiles are 1 query x 16 keys: one Q^T load
// and sixteen broadcast keys per sixteen FMAs, which runs at the FMA rate (`SharpSeek.Bench --index`); a
// 4 x 4 tile (8 loads per 16 FMAs) measured slower (its four Q^T fill L1). Without AVX-512 the lanes are
// eight (Vector256, the same chains); without either, or in other precisions, the twin runs.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static unsafe class IndexScoreBlock
{
    /// <summary>
    /// scores[t * stride + j] = sum_h w[t, h] * relu(q[t, h] . keys[j]) for the keys j &lt; counts[t] of each query t
    /// (causal visibility: a query scores only the entries it sees; the rest of its row is not written).
    /// q [Q, heads, d], w [Q, heads] with Q = counts.Length, keys [n, d] row-major with n &gt;= every count.
    /// Bit-identical to IndexScoreBlockReference.Score.
    /// </summary>
    public static void Score<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> w, int heads, ReadOnlySpan<T> keys, int d,
        ReadOnlySpan<int> counts, Span<T> scores, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int queries = counts.Length, n = 0;
        if (heads < 0 || d < 0) throw new ArgumentOutOfRangeException(nameof(heads), $"index score: {heads} heads of {d}");
        if (q.Length < (long)queries * heads * d) throw new ArgumentException($"index score: {q.Length} query values for {queries} queries of {heads} x {d}", nameof(q));
        if (w.Length < (long)queries * heads) throw new ArgumentException($"index score: {w.Length} head weights for {queries} queries of {heads}", nameof(w));
        for (int t = 0; t < queries; t++)
        {
            if (counts[t] < 0) throw new ArgumentOutOfRangeException(nameof(counts), $"index score: query {t} sees {counts[t]} keys");
            if (counts[t] > 0 && (long)t * stride + counts[t] > scores.Length)
                throw new ArgumentException($"index score: query {t}'s {counts[t]} scores do not fit {scores.Length} values at stride {stride}", nameof(scores));
            n = Math.Max(n, counts[t]);
        }
        if (keys.Length < (long)n * d) throw new ArgumentException($"index score: {keys.Length} key values for {n} keys of {d}", nameof(keys));
        int lanes = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 0;
        if (typeof(T) != typeof(float) || lanes == 0 || heads == 0 || d == 0 || n == 0)
        {
            IndexScoreBlockReference.Score(q, w, heads, keys, d, counts, scores, stride);
            return;
        }
        ScoreFloat(MemoryMarshal.Cast<T, float>(q), MemoryMarshal.Cast<T, float>(w), heads, MemoryMarshal.Cast<T, float>(keys), d,
            counts, MemoryMarshal.Cast<T, float>(scores), stride, lanes);
    }

    /// <summary>The float path with 16 (Vector512) or 8 (Vector256) head lanes; internal so tests run both widths.</summary>
    internal static void ScoreFloat(ReadOnlySpan<float> q, ReadOnlySpan<float> w, int heads, ReadOnlySpan<float> keys, int d,
        ReadOnlySpan<int> counts, Span<float> scores, int stride, int lanes)
    {
        if (lanes == 16 ? !Vector512.IsHardwareAccelerated : lanes != 8 || !Vector256.IsHardwareAccelerated)
            throw new PlatformNotSupportedException($"index score: {lanes} lanes are not accelerated here");
        int queries = counts.Length, hv = (heads + lanes - 1) / lanes, wpad = hv * lanes;
        // Q^T of one query [d, wpad] and its padded weights [wpad]; products of one tile [16, wpad].
        int qtLen = d * wpad;
        float[]? rented = qtLen > 16 * 1024 ? ArrayPool<float>.Shared.Rent(qtLen) : null;
        Span<float> qtSpan = rented is not null ? rented : stackalloc float[qtLen];
        float* wt = stackalloc float[wpad];
        float* prod = stackalloc float[16 * wpad];
        try
        {
            fixed (float* pq = q, pw = w, pk = keys, ps = scores, qt = qtSpan)
            fixed (int* pc = counts)
            {
                // Query by query: Q^T once, then its keys sixteen at a time
                for (int t = 0; t < queries; t++)
                {
                    Transpose(pq + (long)t * heads * d, pw + (long)t * heads, heads, d, wpad, qt, wt);
                    Row(qt, wt, heads, d, wpad, hv, lanes, pk, pc[t], ps + (long)t * stride, prod);
                }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Keys [0, count) of one query (Q^T qt, weights wt) into s, sixteen keys per tile (a short last tile repeats its last key).</summary>
    private static void Row(float* qt, float* wt, int heads, int d, int wpad, int hv, int lanes, float* keys, int count, float* s, float* prod)
    {
        for (int j = 0; j < count; j += 16)
        {
            int m = Math.Min(16, count - j);
            for (int g = 0; g < hv; g++)
                if (lanes == 16) Tile1x16(qt + g * lanes, wt + g * lanes, d, wpad, keys + (long)j * d, m, prod + g * lanes);
                else Tile1x16V256(qt + g * lanes, wt + g * lanes, d, wpad, keys + (long)j * d, m, prod + g * lanes);
            for (int v = 0; v < m; v++) s[j + v] = SumHeads(prod + v * wpad, heads);
        }
    }

    /// <summary>Q^T [d, wpad] of q [heads, d] (lanes past the heads zero) and the weights padded with zeros.</summary>
    private static void Transpose(float* q, float* w, int heads, int d, int wpad, float* qt, float* wt)
    {
        for (int i = 0; i < d; i++)
        {
            float* row = qt + i * wpad;
            for (int h = 0; h < heads; h++) row[h] = q[h * d + i];
            for (int h = heads; h < wpad; h++) row[h] = 0;
        }
        for (int h = 0; h < wpad; h++) wt[h] = h < heads ? w[h] : 0;
    }

    /// <summary>The heads' products added in head order (the twin's s += w_h * relu(dot_h)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumHeads(float* p, int heads)
    {
        float s = 0;
        for (int h = 0; h < heads; h++) s += p[h];
        return s;
    }

    /// <summary>relu(acc) * w per lane into dst: the products the head sum adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Epilogue(Vector512<float> acc, Vector512<float> w, float* dst)
        => (Vector512.ConditionalSelect(Vector512.GreaterThan(acc, Vector512<float>.Zero), acc, Vector512<float>.Zero) * w).Store(dst);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Epilogue(Vector256<float> acc, Vector256<float> w, float* dst)
        => (Vector256.ConditionalSelect(Vector256.GreaterThan(acc, Vector256<float>.Zero), acc, Vector256<float>.Zero) * w).Store(dst);

    /// <summary>Tile1x16 with eight head lanes (Vector256): the same chains per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x16V256(float* qt, float* wt, int d, int wpad, float* k, int m, float* prod)
    {
        float* k0 = k, k1 = k + Math.Min(1, m - 1) * d, k2 = k + Math.Min(2, m - 1) * d, k3 = k + Math.Min(3, m - 1) * d;
        float* k4 = k + Math.Min(4, m - 1) * d, k5 = k + Math.Min(5, m - 1) * d, k6 = k + Math.Min(6, m - 1) * d, k7 = k + Math.Min(7, m - 1) * d;
        float* k8 = k + Math.Min(8, m - 1) * d, k9 = k + Math.Min(9, m - 1) * d, k10 = k + Math.Min(10, m - 1) * d, k11 = k + Math.Min(11, m - 1) * d;
        float* k12 = k + Math.Min(12, m - 1) * d, k13 = k + Math.Min(13, m - 1) * d, k14 = k + Math.Min(14, m - 1) * d, k15 = k + Math.Min(15, m - 1) * d;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector256<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (int i = 0; i < d; i++)
        {
            var x = Vector256.Load(qt + (long)i * wpad);
            a0 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k0[i]), a0);
            a1 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k1[i]), a1);
            a2 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k2[i]), a2);
            a3 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k3[i]), a3);
            a4 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k4[i]), a4);
            a5 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k5[i]), a5);
            a6 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k6[i]), a6);
            a7 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k7[i]), a7);
            a8 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k8[i]), a8);
            a9 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k9[i]), a9);
            a10 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k10[i]), a10);
            a11 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k11[i]), a11);
            a12 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k12[i]), a12);
            a13 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k13[i]), a13);
            a14 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k14[i]), a14);
            a15 = Vector256.FusedMultiplyAdd(x, Vector256.Create(k15[i]), a15);
        }
        var w = Vector256.Load(wt);
        Epilogue(a0, w, prod); Epilogue(a1, w, prod + wpad); Epilogue(a2, w, prod + 2 * wpad); Epilogue(a3, w, prod + 3 * wpad);
        Epilogue(a4, w, prod + 4 * wpad); Epilogue(a5, w, prod + 5 * wpad); Epilogue(a6, w, prod + 6 * wpad); Epilogue(a7, w, prod + 7 * wpad);
        Epilogue(a8, w, prod + 8 * wpad); Epilogue(a9, w, prod + 9 * wpad); Epilogue(a10, w, prod + 10 * wpad); Epilogue(a11, w, prod + 11 * wpad);
        Epilogue(a12, w, prod + 12 * wpad); Epilogue(a13, w, prod + 13 * wpad); Epilogue(a14, w, prod + 14 * wpad); Epilogue(a15, w, prod + 15 * wpad);
    }

    /// <summary>Sixteen head lanes of one query against m (1..16) consecutive keys: products into prod[v * wpad + lane].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x16(float* qt, float* wt, int d, int wpad, float* k, int m, float* prod)
    {
        // A short tile reads its last key again in the unused accumulators (never stored).
        float* k0 = k, k1 = k + Math.Min(1, m - 1) * d, k2 = k + Math.Min(2, m - 1) * d, k3 = k + Math.Min(3, m - 1) * d;
        float* k4 = k + Math.Min(4, m - 1) * d, k5 = k + Math.Min(5, m - 1) * d, k6 = k + Math.Min(6, m - 1) * d, k7 = k + Math.Min(7, m - 1) * d;
        float* k8 = k + Math.Min(8, m - 1) * d, k9 = k + Math.Min(9, m - 1) * d, k10 = k + Math.Min(10, m - 1) * d, k11 = k + Math.Min(11, m - 1) * d;
        float* k12 = k + Math.Min(12, m - 1) * d, k13 = k + Math.Min(13, m - 1) * d, k14 = k + Math.Min(14, m - 1) * d, k15 = k + Math.Min(15, m - 1) * d;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (int i = 0; i < d; i++)
        {
            var x = Vector512.Load(qt + (long)i * wpad);
            a0 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k0[i]), a0);
            a1 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k1[i]), a1);
            a2 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k2[i]), a2);
            a3 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k3[i]), a3);
            a4 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k4[i]), a4);
            a5 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k5[i]), a5);
            a6 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k6[i]), a6);
            a7 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k7[i]), a7);
            a8 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k8[i]), a8);
            a9 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k9[i]), a9);
            a10 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k10[i]), a10);
            a11 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k11[i]), a11);
            a12 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k12[i]), a12);
            a13 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k13[i]), a13);
            a14 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k14[i]), a14);
            a15 = Vector512.FusedMultiplyAdd(x, Vector512.Create(k15[i]), a15);
        }
        var w = Vector512.Load(wt);
        Epilogue(a0, w, prod); Epilogue(a1, w, prod + wpad); Epilogue(a2, w, prod + 2 * wpad); Epilogue(a3, w, prod + 3 * wpad);
        Epilogue(a4, w, prod + 4 * wpad); Epilogue(a5, w, prod + 5 * wpad); Epilogue(a6, w, prod + 6 * wpad); Epilogue(a7, w, prod + 7 * wpad);
        Epilogue(a8, w, prod + 8 * wpad); Epilogue(a9, w, prod + 9 * wpad); Epilogue(a10, w, prod + 10 * wpad); Epilogue(a11, w, prod + 11 * wpad);
        Epilogue(a12, w, prod + 12 * wpad); Epilogue(a13, w, prod + 13 * wpad); Epilogue(a14, w, prod + 14 * wpad); Epilogue(a15, w, prod + 15 * wpad);
    }
}
