// Plain scalar twins of the mHC kernels (HyperMix): the split of a site's mix into pre, post and the
// Sinkhorn-normalised comb, the collapse of the hc streams into the sub-layer input, and the expansion
// of the sub-layer output back into the streams. Each formula is written as the reference model computes
// it, one token and one element at a time; the float64 engine runs these, and the float32 fast paths
// are tested bit for bit against them.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class HyperMixReference
{
    /// <summary>
    /// Per token t: r = rsqrt(ss[t] / (hc * dim) + normEps), m = mix[t] * r, then
    /// pre_i = sigmoid(m_i * scale0 + base_i) + eps, post_i = 2 sigmoid(m_{hc+i} * scale1 + base_{hc+i}),
    /// comb = Sinkhorn(m_{2hc+k} * scale2 + base_{2hc+k}) as [source, destination].
    /// mix [T, (2 + hc) hc] is fn @ flatten(h); ss [T] is sum(flatten(h)^2).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]   // HyperMix runs it for one token
    public static void Split<T>(ReadOnlySpan<T> mix, ReadOnlySpan<T> ss, int tokens, HyperSite<T> site, Span<T> pre, Span<T> post, Span<T> comb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hc = site.Hc, mixW = site.MixWidth;
        site.CheckSplit(mix.Length, ss.Length, tokens, pre.Length, post.Length, comb.Length);
        T[] s = site.Scale, b = site.Base;
        T two = T.CreateTruncating(2), n = T.CreateTruncating(hc * site.Dim);
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<T> m = mix.Slice(t * mixW, mixW);
            T r = T.One / T.Sqrt(ss[t] / n + site.NormEps);
            for (int i = 0; i < hc; i++)
            {
                pre[t * hc + i] = ElementwiseReference.Sigmoid(m[i] * r * s[0] + b[i]) + site.Eps;
                post[t * hc + i] = two * ElementwiseReference.Sigmoid(m[hc + i] * r * s[1] + b[hc + i]);
            }
            Span<T> c = comb.Slice(t * hc * hc, hc * hc);
            for (int k = 0; k < hc * hc; k++) c[k] = m[2 * hc + k] * r * s[2] + b[2 * hc + k];
            ElementwiseReference.Sinkhorn(c, hc, site.Iters, site.Eps);
        }
    }

    /// <summary>hc_pre: x[t, e] = sum_i pre[t, i] h[t, i, e] (summed from zero in stream order) for h [T, hc, d].</summary>
    public static void Collapse<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> pre, int tokens, int hc, int d, Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        HyperSite<T>.CheckStreams(h.Length, pre.Length, x.Length, tokens, hc, d, "collapse");
        for (int t = 0; t < tokens; t++)
            for (int e = 0; e < d; e++)
            {
                T acc = T.Zero;
                for (int i = 0; i < hc; i++) acc += pre[t * hc + i] * h[(t * hc + i) * d + e];
                x[t * d + e] = acc;
            }
    }

    /// <summary>
    /// hc_post in place: h[t, k, e] = post[t, k] f[t, e] + sum_j comb[t, j, k] h[t, j, e], with every
    /// h[t, j, e] read before any is written (h [T, hc, d], f [T, d], comb [T, source, destination]).
    /// </summary>
    public static void Expand<T>(ReadOnlySpan<T> f, ReadOnlySpan<T> post, ReadOnlySpan<T> comb, int tokens, int hc, int d, Span<T> h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        HyperSite<T>.CheckStreams(h.Length, post.Length, f.Length, tokens, hc, d, "expand");
        if (comb.Length < tokens * hc * hc) throw new ArgumentException($"mHC expand: comb has {comb.Length} values, need {tokens}x{hc}x{hc}");
        Span<T> old = hc <= 64 ? stackalloc T[hc] : new T[hc];
        for (int t = 0; t < tokens; t++)
            for (int e = 0; e < d; e++)
            {
                for (int j = 0; j < hc; j++) old[j] = h[(t * hc + j) * d + e];
                for (int k = 0; k < hc; k++)
                {
                    T o = post[t * hc + k] * f[t * d + e];
                    for (int j = 0; j < hc; j++) o += comb[(t * hc + j) * hc + k] * old[j];
                    h[(t * hc + k) * d + e] = o;
                }
            }
    }
}
