// mHC at one site, float32 fast paths (other precisions run HyperMixReference, the scalar twin):
//   Pre:    mix = fn @ flatten(h) (the engine's MatMul), ss = sum(flatten(h)^2), split into pre, post and the
//           Sinkhorn-normalised comb with eight tokens in the lanes of a Vector256 (one token: the twin), and (optionally) the
//           collapse x = sum_i pre_i h_i and its RMSNorm; prefill runs it in tiles of eight tokens over the worker team.
//   Expand: h_k = post_k f + sum_j comb[j, k] h_j in place, vectorised over dim, tokens over the team.
// Every float operation of a token is the twin's, in the same order (exp per lane with MathF.Exp,
// IEEE division and square root), so the results equal the twin bit for bit; the product's sums are
// MatMul's for any tile (MatMul sums each token on its own). The hot methods are compiled fully optimised
// from the first call (a prefill is one call: tier-0 code would run all of it).
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static unsafe class HyperMix
{
    /// <summary>Tokens per tile: the Sinkhorn's lanes and one work item of a prefill region.</summary>
    public const int Tile = 8;
    /// <summary>Streams up to which the split runs in lanes and the expansion holds a token's coefficients in registers (hc above runs the twin).</summary>
    private const int MaxLaneHc = 8;
    /// <summary>Stream values (tokens x hc x dim) below which collapse and expand stay on the calling thread.</summary>
    private const long ParallelValues = 1 << 15;

    /// <summary>Scratch values Pre needs: the mix [T, (2 + hc) hc] and the sums of squares [T].</summary>
    public static int ScratchSize(int tokens, int hc) => tokens * ((2 + hc) * hc + 1);

    /// <summary>
    /// h [T, hc, dim] -> pre [T, hc], post [T, hc], comb [T, hc, hc] (HyperMixReference.Split of fn @ flatten(h)
    /// and sum(flatten(h)^2)), and when x is not empty x [T, dim] = sum_i pre_i h_i, then (when normWeight is not
    /// empty) each row of x replaced by Elementwise.RmsNorm(x, normWeight, normEps): the sub-layer's input norm.
    /// </summary>
    public static void Pre<T>(ReadOnlySpan<T> h, int tokens, WeightMatrix fn, HyperSite<T> site, Span<T> scratch, Span<T> pre, Span<T> post, Span<T> comb, Span<T> x,
        ReadOnlySpan<T> normWeight = default, T normEps = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hc = site.Hc, d = site.Dim, mixW = site.MixWidth, k = hc * d;
        if (fn.Rows != mixW || fn.Cols != k) throw new ArgumentException($"{fn.Name}: [{fn.Rows}, {fn.Cols}] for an mHC site of hc {hc}, dim {d} (need [{mixW}, {k}])");
        if (scratch.Length < ScratchSize(tokens, hc)) throw new ArgumentException($"mHC scratch has {scratch.Length} values, need {ScratchSize(tokens, hc)}");
        HyperSite<T>.CheckStreams(h.Length, pre.Length, x.IsEmpty ? tokens * d : x.Length, tokens, hc, d, "pre");
        site.CheckSplit(tokens * mixW, tokens, tokens, pre.Length, post.Length, comb.Length);
        if (!normWeight.IsEmpty && (x.IsEmpty || normWeight.Length != d)) throw new ArgumentException($"mHC pre: a norm weight of {normWeight.Length} values for rows of {(x.IsEmpty ? 0 : d)}");
        if (tokens == 0) return;
        Span<T> mix = scratch[..(tokens * mixW)], ss = scratch.Slice(tokens * mixW, tokens);
        if (typeof(T) != typeof(float))
        {
            MatMul.Forward(h, fn, mix, tokens);
            for (int t = 0; t < tokens; t++) ss[t] = Elementwise.Dot(h.Slice(t * k, k), h.Slice(t * k, k));
            HyperMixReference.Split(mix, ss, tokens, site, pre, post, comb);
            if (!x.IsEmpty) HyperMixReference.Collapse(h, pre, tokens, hc, d, x);
            if (!normWeight.IsEmpty) for (int t = 0; t < tokens; t++) Elementwise.RmsNorm(x.Slice(t * d, d), normWeight, normEps, x.Slice(t * d, d));
            return;
        }
        // F32 and BF16 products are summed per token whatever the batch, so each tile runs its own; other
        // formats (int8 activations change with the token count) run once for all tokens first.
        bool perTile = fn.Format is WeightFormat.F32 or WeightFormat.BF16;
        if (!perTile) MatMul.Forward(h, fn, mix, tokens);
        var f = (HyperSite<float>)(object)site;
        fixed (T* ph = h, pm = mix, ps = ss, pp = pre, pq = post, pc = comb, px = x)
        fixed (float* ps0 = f.Scale, pb = f.Base)
        fixed (T* pn = normWeight)
        {
            var job = new PreJob
            {
                H = (float*)ph, Mix = (float*)pm, Ss = (float*)ps, Pre = (float*)pp, Post = (float*)pq, Comb = (float*)pc,
                X = x.IsEmpty ? null : (float*)px, Scale = ps0, Base = pb, Norm = (float*)pn, NormEps = float.CreateTruncating(normEps),
                W = fn, Site = f, Tokens = tokens, Product = perTile,
            };
            // One tile (decode) stays on this thread: a region per site cost more than the one-token product
            // it would split (bench/README, "mHC kernels").
            int tiles = (tokens + Tile - 1) / Tile;
            if (tiles == 1) PreTile(Unsafe.AsPointer(ref job), 0);
            else WorkerTeam.Shared.Run(tiles, Unsafe.AsPointer(ref job), &PreTile);   // job lives on this frame until Run returns
        }
    }

    /// <summary>hc_pre alone: x [T, dim] = sum_i pre[t, i] h[t, i] (HyperMixReference.Collapse).</summary>
    public static void Collapse<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> pre, int tokens, int hc, int d, Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        HyperSite<T>.CheckStreams(h.Length, pre.Length, x.Length, tokens, hc, d, "collapse");
        if (typeof(T) != typeof(float)) { HyperMixReference.Collapse(h, pre, tokens, hc, d, x); return; }
        fixed (T* ph = h, pp = pre, px = x)
        {
            var job = new StreamJob { H = (float*)ph, Coef = (float*)pp, Row = (float*)px, Tokens = tokens, Hc = hc, D = d };
            RunStreams(ref job, &CollapseTile);
        }
    }

    /// <summary>hc_post in place: h[t, k] = post[t, k] f[t] + sum_j comb[t, j, k] h[t, j] (HyperMixReference.Expand).</summary>
    public static void Expand<T>(ReadOnlySpan<T> f, ReadOnlySpan<T> post, ReadOnlySpan<T> comb, int tokens, int hc, int d, Span<T> h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        HyperSite<T>.CheckStreams(h.Length, post.Length, f.Length, tokens, hc, d, "expand");
        if (comb.Length < tokens * hc * hc) throw new ArgumentException($"mHC expand: comb has {comb.Length} values, need {tokens}x{hc}x{hc}");
        if (typeof(T) != typeof(float) || hc > MaxLaneHc) { HyperMixReference.Expand(f, post, comb, tokens, hc, d, h); return; }
        fixed (T* ph = h, pp = post, pc = comb, pf = f)
        {
            var job = new StreamJob { H = (float*)ph, Coef = (float*)pp, Comb = (float*)pc, Row = (float*)pf, Tokens = tokens, Hc = hc, D = d };
            RunStreams(ref job, &ExpandTile);
        }
    }

    private struct PreJob
    {
        public float* H, Mix, Ss, Pre, Post, Comb, X, Scale, Base, Norm;
        public float NormEps;
        public WeightMatrix W;
        public HyperSite<float> Site;
        public int Tokens;
        public bool Product;
    }

    /// <summary>Tile i of Pre: product, sums of squares, split, collapse of up to Tile tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PreTile(void* state, int i)
    {
        ref PreJob j = ref Unsafe.AsRef<PreJob>(state);
        HyperSite<float> site = j.Site;
        int hc = site.Hc, d = site.Dim, mixW = site.MixWidth, k = hc * d;
        int t0 = i * Tile, n = Math.Min(Tile, j.Tokens - t0);
        float* h = j.H + (long)t0 * k, mix = j.Mix + t0 * mixW;
        // 1. mix = fn @ flatten(h)                                             [n, mixW]
        if (j.Product) MatMul.ForwardF32(new ReadOnlySpan<float>(h, n * k), j.W, new Span<float>(mix, n * mixW), n);
        // 2. ss = sum(flatten(h)^2)                                            [n]
        for (int t = 0; t < n; t++)
        {
            var ht = new ReadOnlySpan<float>(h + (long)t * k, k);
            j.Ss[t0 + t] = TensorPrimitives.Dot(ht, ht);
        }
        // 3. pre, post, comb                                                   [n, hc], [n, hc], [n, hc, hc]
        float* pre = j.Pre + t0 * hc, post = j.Post + t0 * hc, comb = j.Comb + t0 * hc * hc;
        if (hc <= MaxLaneHc && n > 1) SplitLanes(mix, j.Ss + t0, n, site, j.Scale, j.Base, pre, post, comb);
        else HyperMixReference.Split(new ReadOnlySpan<float>(mix, n * mixW), new ReadOnlySpan<float>(j.Ss + t0, n), n, site,
            new Span<float>(pre, n * hc), new Span<float>(post, n * hc), new Span<float>(comb, n * hc * hc));
        // 4. x = sum_i pre_i h_i, then the sub-layer's RMSNorm                [n, dim]
        if (j.X == null) return;
        float* x = j.X + (long)t0 * d;
        Collapse(h, pre, n, hc, d, x);
        if (j.Norm != null)
            for (int t = 0; t < n; t++) Elementwise.RmsNorm(new ReadOnlySpan<float>(x + (long)t * d, d), new ReadOnlySpan<float>(j.Norm, d), j.NormEps, new Span<float>(x + (long)t * d, d));
    }

    /// <summary>
    /// The split of n ≤ Tile tokens with token l in lane l (lanes past n repeat token n - 1; their results are
    /// dropped): each lane runs exactly HyperMixReference.Split's operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    internal static void SplitLanes(float* mix, float* ss, int n, HyperSite<float> site, float* scale, float* @base, float* pre, float* post, float* comb)
    {
        int hc = site.Hc, mixW = site.MixWidth, cc = hc * hc;
        Vector256<float>* m = stackalloc Vector256<float>[mixW];
        float* lane = stackalloc float[Tile];
        // 1. r = 1 / sqrt(ss / (hc dim) + normEps); m = mix * r                 [mixW] x lanes
        for (int l = 0; l < Tile; l++) lane[l] = ss[Math.Min(l, n - 1)];
        Vector256<float> r = Vector256<float>.One / Vector256.Sqrt(Vector256.Load(lane) / Vector256.Create((float)(hc * site.Dim)) + Vector256.Create(site.NormEps));
        for (int c = 0; c < mixW; c++)
        {
            for (int l = 0; l < Tile; l++) lane[l] = mix[Math.Min(l, n - 1) * mixW + c];
            m[c] = Vector256.Load(lane) * r;
        }
        // 2. pre = sigmoid(m * s0 + b) + eps; post = 2 sigmoid(m * s1 + b)       [hc] x lanes
        Vector256<float> eps = Vector256.Create(site.Eps), two = Vector256.Create(2f);
        for (int i = 0; i < hc; i++)
        {
            Scatter(Sigmoid(m[i] * Vector256.Create(scale[0]) + Vector256.Create(@base[i]), lane, n) + eps, pre + i, hc, n, lane);
            Scatter(two * Sigmoid(m[hc + i] * Vector256.Create(scale[1]) + Vector256.Create(@base[hc + i]), lane, n), post + i, hc, n, lane);
        }
        // 3. comb = Sinkhorn(m * s2 + b)                                         [hc, hc] x lanes
        Vector256<float>* cm = m + 2 * hc;
        for (int c = 0; c < cc; c++) cm[c] = cm[c] * Vector256.Create(scale[2]) + Vector256.Create(@base[2 * hc + c]);
        Sinkhorn(cm, hc, site.Iters, eps, lane, n);
        for (int c = 0; c < cc; c++) Scatter(cm[c], comb + c, cc, n, lane);
    }

    /// <summary>ElementwiseReference.Sinkhorn in every lane: row softmax + eps, columns, then (iters - 1) x rows and columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sinkhorn(Vector256<float>* c, int n, int iters, Vector256<float> eps, float* lane, int valid)
    {
        for (int i = 0; i < n; i++)
        {
            Vector256<float>* row = c + i * n;
            var mx = Vector256.Create(float.NegativeInfinity);
            for (int j = 0; j < n; j++) mx = Vector256.Max(mx, row[j]);
            var sum = Vector256<float>.Zero;
            for (int j = 0; j < n; j++) { row[j] = Exp(row[j] - mx, lane, valid); sum += row[j]; }
            for (int j = 0; j < n; j++) row[j] /= sum;
            for (int j = 0; j < n; j++) row[j] += eps;
        }
        NormalizeColumns(c, n, eps);
        for (int it = 1; it < iters; it++)
        {
            for (int i = 0; i < n; i++)
            {
                Vector256<float>* row = c + i * n;
                var s = Vector256<float>.Zero;
                for (int j = 0; j < n; j++) s += row[j];
                for (int j = 0; j < n; j++) row[j] /= s + eps;
            }
            NormalizeColumns(c, n, eps);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NormalizeColumns(Vector256<float>* c, int n, Vector256<float> eps)
    {
        for (int j = 0; j < n; j++)
        {
            var s = Vector256<float>.Zero;
            for (int i = 0; i < n; i++) s += c[i * n + j];
            for (int i = 0; i < n; i++) c[i * n + j] /= s + eps;
        }
    }

    /// <summary>1 / (1 + exp(-z)) per lane (ElementwiseReference.Sigmoid).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Sigmoid(Vector256<float> z, float* lane, int valid) => Vector256<float>.One / (Vector256<float>.One + Exp(-z, lane, valid));

    /// <summary>MathF.Exp of the first <paramref name="valid"/> lanes (the scalar's exp: no vector approximation); the others become 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Exp(Vector256<float> v, float* lane, int valid)
    {
        v.Store(lane);
        for (int l = 0; l < Tile; l++) lane[l] = l < valid ? MathF.Exp(lane[l]) : 1f;
        return Vector256.Load(lane);
    }

    /// <summary>dst[l * stride] = lane l of v for the first <paramref name="valid"/> lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scatter(Vector256<float> v, float* dst, int stride, int valid, float* lane)
    {
        v.Store(lane);
        for (int l = 0; l < valid; l++) dst[l * stride] = lane[l];
    }

    private struct StreamJob
    {
        public float* H, Coef, Comb, Row;
        public int Tokens, Hc, D;
    }

    /// <summary>Tiles of Tile tokens over the team (or on the caller for a small call).</summary>
    private static void RunStreams(ref StreamJob job, delegate*<void*, int, void> tile)
    {
        int tiles = (job.Tokens + Tile - 1) / Tile;
        if (tiles <= 1 || (long)job.Tokens * job.Hc * job.D < ParallelValues)
            for (int i = 0; i < tiles; i++) tile(Unsafe.AsPointer(ref job), i);
        else WorkerTeam.Shared.Run(tiles, Unsafe.AsPointer(ref job), tile);   // job lives on the caller's frame until Run returns
    }

    private static void CollapseTile(void* state, int i)
    {
        ref StreamJob j = ref Unsafe.AsRef<StreamJob>(state);
        int t0 = i * Tile, n = Math.Min(Tile, j.Tokens - t0);
        Collapse(j.H + (long)t0 * j.Hc * j.D, j.Coef + t0 * j.Hc, n, j.Hc, j.D, j.Row + (long)t0 * j.D);
    }

    private static void ExpandTile(void* state, int i)
    {
        ref StreamJob j = ref Unsafe.AsRef<StreamJob>(state);
        int t0 = i * Tile, n = Math.Min(Tile, j.Tokens - t0);
        Expand(j.Row + (long)t0 * j.D, j.Coef + t0 * j.Hc, j.Comb + t0 * j.Hc * j.Hc, n, j.Hc, j.D, j.H + (long)t0 * j.Hc * j.D);
    }

    /// <summary>x[t, e] = 0 + pre[t, 0] h[t, 0, e] + ... in stream order, 8 values of e at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Collapse(float* h, float* pre, int tokens, int hc, int d, float* x)
    {
        Vector256<float>* pv = stackalloc Vector256<float>[hc];
        for (int t = 0; t < tokens; t++)
        {
            float* ht = h + (long)t * hc * d, xt = x + (long)t * d, p = pre + t * hc;
            for (int i = 0; i < hc; i++) pv[i] = Vector256.Create(p[i]);
            int e = 0;
            for (; e <= d - 8; e += 8)
            {
                var acc = Vector256<float>.Zero;
                for (int i = 0; i < hc; i++) acc += pv[i] * Vector256.Load(ht + (long)i * d + e);
                acc.Store(xt + e);
            }
            for (; e < d; e++)
            {
                float acc = 0;
                for (int i = 0; i < hc; i++) acc += p[i] * ht[(long)i * d + e];
                xt[e] = acc;
            }
        }
    }

    /// <summary>Expand for hc = 4 (V4's), every coefficient and stream value in a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Expand4(float* f, float* post, float* comb, int tokens, int d, float* h)
    {
        for (int t = 0; t < tokens; t++)
        {
            float* h0 = h + (long)t * 4 * d, h1 = h0 + d, h2 = h1 + d, h3 = h2 + d, ft = f + (long)t * d, p = post + t * 4, c = comb + t * 16;
            int e = 0;
            if (d >= 8)
            {
                Vector256<float> p0 = Vector256.Create(p[0]), p1 = Vector256.Create(p[1]), p2 = Vector256.Create(p[2]), p3 = Vector256.Create(p[3]);
                Vector256<float> c00 = Vector256.Create(c[0]), c01 = Vector256.Create(c[1]), c02 = Vector256.Create(c[2]), c03 = Vector256.Create(c[3]);
                Vector256<float> c10 = Vector256.Create(c[4]), c11 = Vector256.Create(c[5]), c12 = Vector256.Create(c[6]), c13 = Vector256.Create(c[7]);
                Vector256<float> c20 = Vector256.Create(c[8]), c21 = Vector256.Create(c[9]), c22 = Vector256.Create(c[10]), c23 = Vector256.Create(c[11]);
                Vector256<float> c30 = Vector256.Create(c[12]), c31 = Vector256.Create(c[13]), c32 = Vector256.Create(c[14]), c33 = Vector256.Create(c[15]);
                for (; e <= d - 8; e += 8)
                {
                    Vector256<float> fv = Vector256.Load(ft + e), a = Vector256.Load(h0 + e), b = Vector256.Load(h1 + e), g = Vector256.Load(h2 + e), q = Vector256.Load(h3 + e);
                    (p0 * fv + c00 * a + c10 * b + c20 * g + c30 * q).Store(h0 + e);
                    (p1 * fv + c01 * a + c11 * b + c21 * g + c31 * q).Store(h1 + e);
                    (p2 * fv + c02 * a + c12 * b + c22 * g + c32 * q).Store(h2 + e);
                    (p3 * fv + c03 * a + c13 * b + c23 * g + c33 * q).Store(h3 + e);
                }
            }
            for (; e < d; e++)
            {
                float a = h0[e], b = h1[e], g = h2[e], q = h3[e];
                h0[e] = p[0] * ft[e] + c[0] * a + c[4] * b + c[8] * g + c[12] * q;
                h1[e] = p[1] * ft[e] + c[1] * a + c[5] * b + c[9] * g + c[13] * q;
                h2[e] = p[2] * ft[e] + c[2] * a + c[6] * b + c[10] * g + c[14] * q;
                h3[e] = p[3] * ft[e] + c[3] * a + c[7] * b + c[11] * g + c[15] * q;
            }
        }
    }

    /// <summary>h[t, k, e] = post[t, k] f[t, e] + comb[t, 0, k] h[t, 0, e] + ... in place, 8 values of e at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Expand(float* f, float* post, float* comb, int tokens, int hc, int d, float* h)
    {
        if (hc == 4) { Expand4(f, post, comb, tokens, d, h); return; }
        Vector256<float>* cv = stackalloc Vector256<float>[hc * hc + 2 * hc];
        Vector256<float>* pv = cv + hc * hc, old = pv + hc;
        float* olds = stackalloc float[hc];
        for (int t = 0; t < tokens; t++)
        {
            float* ht = h + (long)t * hc * d, ft = f + (long)t * d, p = post + t * hc, c = comb + t * hc * hc;
            for (int q = 0; q < hc * hc; q++) cv[q] = Vector256.Create(c[q]);
            for (int k = 0; k < hc; k++) pv[k] = Vector256.Create(p[k]);
            int e = 0;
            for (; e <= d - 8; e += 8)
            {
                var fv = Vector256.Load(ft + e);
                for (int j = 0; j < hc; j++) old[j] = Vector256.Load(ht + (long)j * d + e);
                for (int k = 0; k < hc; k++)
                {
                    var o = pv[k] * fv;
                    for (int j = 0; j < hc; j++) o += cv[j * hc + k] * old[j];
                    o.Store(ht + (long)k * d + e);
                }
            }
            for (; e < d; e++)
            {
                for (int j = 0; j < hc; j++) olds[j] = ht[(long)j * d + e];
                for (int k = 0; k < hc; k++)
                {
                    float o = p[k] * ft[e];
                    for (int j = 0; j < hc; j++) o += c[j * hc + k] * olds[j];
                    ht[(long)k * d + e] = o;
                }
            }
        }
    }
}
