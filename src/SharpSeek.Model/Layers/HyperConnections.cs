// Manifold-constrained hyper-connections (mHC) at one site of a block. The hc_mult residual
// streams are mixed into the sub-layer input (pre weights), and the sub-layer output is written
// back with post weights plus a Sinkhorn-normalised stream-mixing matrix comb[source, destination].
using System.Numerics;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class HyperConnections<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _fn;      // [mix_hc, hc*dim] F32
    private readonly HyperSite<T> _site;
    private readonly int _hc, _dim;

    public HyperConnections(WeightScope scope, string site, int hc, int dim, int iters, double hcEps, double normEps)
    {
        int mix = (2 + hc) * hc;
        _fn = scope.RawMatrix(HyperNames.Fn(site), mix, hc * dim);
        T[] @base = scope.Vector<T>(HyperNames.Base(site), DType.F32, mix);
        T[] scale = scope.Vector<T>(HyperNames.Scale(site), DType.F32, 3);
        _site = new HyperSite<T>(hc, dim, iters, T.CreateTruncating(hcEps), T.CreateTruncating(normEps), scale, @base);
        _hc = hc; _dim = dim;
    }

    public int MixWidth => _site.MixWidth;

    /// <summary>
    /// h [T, hc, dim] -> x [T, dim] = norm(sum_i pre_i h_i) (the sub-layer's input norm, fused), and per token
    /// post [T, hc], comb [T, hc, hc].
    /// </summary>
    public void Pre(ReadOnlySpan<T> h, int tokens, ForwardWorkspace<T> work, RmsNorm<T> norm, Span<T> x, Span<T> post, Span<T> comb)
    {
        if (norm.Dim != _dim) throw new ArgumentException($"{_fn.Name}: a norm of {norm.Dim} values after streams of {_dim}");
        // The mix scratch slot holds [mix | sums of squares | pre].
        int scratch = HyperMix.ScratchSize(tokens, _hc);
        Span<T> slot = work.Span(Scratch.HcMix, scratch + tokens * _hc);
        Span<T> pre = slot.Slice(scratch, tokens * _hc);
        _fn.InputTap?.Record(_fn.Name, h[..(tokens * _fn.InFeatures)], tokens, _fn.InFeatures);
        HyperMix.Pre(h, tokens, _fn.Weight, _site, slot[..scratch], pre, post, comb, x, norm.Weight, norm.Eps);
    }

    /// <summary>The site's mixes of h [T, hc, dim]: pre [T, hc], post [T, hc], comb [T, hc, hc] (V4.1 applies pre one site later).</summary>
    public void Coefficients(ReadOnlySpan<T> h, int tokens, ForwardWorkspace<T> work, Span<T> pre, Span<T> post, Span<T> comb)
    {
        _fn.InputTap?.Record(_fn.Name, h[..(tokens * _fn.InFeatures)], tokens, _fn.InFeatures);
        HyperMix.Pre(h, tokens, _fn.Weight, _site, work.Span(Scratch.HcMix, HyperMix.ScratchSize(tokens, _hc)), pre, post, comb, default);
    }

    /// <summary>hc_pre: x [T, dim] = sum_i pre[t, i] h[t, i] for h [T, hc, dim].</summary>
    public static void Collapse(ReadOnlySpan<T> h, ReadOnlySpan<T> pre, int tokens, int hc, int d, Span<T> x)
        => HyperMix.Collapse(h, pre, tokens, hc, d, x);

    /// <summary>hc_post in place: h[T, k, :] = post_k * f + sum_j comb[j, k] * h_j for h [T, hc, dim].</summary>
    public void Post(ReadOnlySpan<T> f, ReadOnlySpan<T> post, ReadOnlySpan<T> comb, int tokens, Span<T> h)
        => HyperMix.Expand(f, post, comb, tokens, _hc, _dim, h);
}

/// <summary>
/// Tensor names of an mHC site (hc_{site}_fn / _base / _scale, in the scope of its block or model):
/// written once, for the inference layers and the training graph.
/// </summary>
public static class HyperNames
{
    /// <summary>The head's collapse site (model and MTP scopes).</summary>
    public const string HeadSite = "head";

    private const string Prefix = "hc_";

    public static string Fn(string site) => $"{Prefix}{site}_fn";
    public static string Base(string site) => $"{Prefix}{site}_base";
    public static string Scale(string site) => $"{Prefix}{site}_scale";

    /// <summary>Whether the full tensor name is one of an mHC site's tensors.</summary>
    public static bool IsHyper(string fullName) => fullName.AsSpan(fullName.LastIndexOf('.') + 1).StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>The head's stream collapse: y = sum_i (sigmoid(mix_i * scale + base_i) + eps) h_i, no Sinkhorn.</summary>
public sealed class HyperHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _fn;   // [hc, hc*dim]
    private readonly T[] _base;    // [hc]
    private readonly T[] _scale;   // [1]
    private readonly int _hc, _dim;
    private readonly T _eps, _normEps;

    public HyperHead(WeightScope scope, int hc, int dim, double hcEps, double normEps)
    {
        _fn = scope.RawMatrix(HyperNames.Fn(HyperNames.HeadSite), hc, hc * dim);
        _base = scope.Vector<T>(HyperNames.Base(HyperNames.HeadSite), DType.F32, hc);
        _scale = scope.Vector<T>(HyperNames.Scale(HyperNames.HeadSite), DType.F32, 1);
        _hc = hc; _dim = dim; _eps = T.CreateTruncating(hcEps); _normEps = T.CreateTruncating(normEps);
    }

    /// <summary>h [T, hc, dim] -> y [T, dim].</summary>
    public void Forward(ReadOnlySpan<T> h, int tokens, Span<T> y)
    {
        int hc = _hc, d = _dim;
        // 1. mix = fn @ flatten(h); pre = sigmoid(mix * rsqrt(mean(h^2) + eps) * s + b) + eps   [T, hc]
        Span<T> mix = tokens * hc <= 256 ? stackalloc T[tokens * hc] : new T[tokens * hc];
        _fn.Forward(h, mix, tokens);
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<T> ht = h.Slice(t * hc * d, hc * d);
            T r = T.One / T.Sqrt(Elementwise.Dot(ht, ht) / T.CreateTruncating(hc * d) + _normEps);
            for (int i = 0; i < hc; i++) mix[t * hc + i] = Elementwise.Sigmoid(mix[t * hc + i] * r * _scale[0] + _base[i]) + _eps;
        }
        // 2. y = sum_i pre_i h_i                                                               [T, dim]
        HyperMix.Collapse<T>(h, mix, tokens, hc, d, y);
    }
}
