// One V4.1 block with single-pass mHC: each site computes its mixes from its own input, but the
// collapse into the sublayer input uses the pre-mix of the site before (the previous block's FFN
// pre-mix, identity before layer 0), and the block hands its FFN pre-mix to the next:
//   (a_pre, a_post, a_comb) = mixes_attn(h); x = attn_norm(hc_pre(h, pre_mix)); h = hc_post(attn(x), h)
//   (f_pre, f_post, f_comb) = mixes_ffn(h);  x = ffn_norm(hc_pre(h, a_pre));  h = hc_post(moe(x), h)
//   pre_mix <- f_pre
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.State.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers.V41;

public sealed class V41Block<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly HyperConnections<T> _hcAttn, _hcFfn;
    private readonly RmsNorm<T> _attnNorm, _ffnNorm;
    private readonly int _layer, _hc, _dim;

    public V41Attention<T> Attn { get; }
    public Moe<T> Ffn { get; }
    public EngramLayer<T>? Engram { get; }

    public V41Block(WeightScope scope, V41Config c, int layer, bool withAttention = true)
    {
        var b = c.Base;
        _layer = layer; _hc = b.HcMult; _dim = b.Dim;
        Attn = new V41Attention<T>(scope.Scope("attn"), c, layer);
        Ffn = new Moe<T>(scope.Scope("ffn"), layer, hash: false, imageBias: c.Vision.Enabled, normalizeSingle: false);
        if (c.Engram.IndexOf(layer) >= 0 && layer < b.NumLayers) Engram = new EngramLayer<T>(scope.Scope("engram"), c, layer);
        _attnNorm = new RmsNorm<T>(scope, "attn_norm", b.Dim, b.NormEps);
        _ffnNorm = new RmsNorm<T>(scope, "ffn_norm", b.Dim, b.NormEps);
        _hcAttn = new HyperConnections<T>(scope, "attn", b.HcMult, b.Dim, b.HcSinkhornIters, b.HcEps, b.NormEps);
        _hcFfn = new HyperConnections<T>(scope, "ffn", b.HcMult, b.Dim, b.HcSinkhornIters, b.HcEps, b.NormEps);
    }

    /// <summary>h [T, hc, dim] and preMix [T, hc] updated in place (preMix becomes this block's FFN pre-mix).</summary>
    public void Forward(Span<T> h, Span<T> preMix, ReadOnlySpan<int> ids, long[] positions, V41SequenceState<T>[] states, V41SharedAttention shared,
        ForwardWorkspace<T> work, ITapSink<T>? taps, ReadOnlySpan<bool> image = default) =>
        Forward(h, preMix, ids, positions, (x, f) => Attn.Forward(x, positions, states, shared, f, taps), work, taps, image);

    /// <summary>The attention sublayer: normed input x [T, dim] -> f [T, dim].</summary>
    public delegate void Attention(ReadOnlySpan<T> x, Span<T> f);

    /// <summary>As above with another attention in the attention site (DSpark stages: the block attends over the main-model window).</summary>
    public void Forward(Span<T> h, Span<T> preMix, ReadOnlySpan<int> ids, long[] positions, Attention attention,
        ForwardWorkspace<T> work, ITapSink<T>? taps, ReadOnlySpan<bool> image = default)
    {
        int tokens = positions.Length, hc = _hc, d = _dim;
        Span<T> x = work.Span(Scratch.BlockX, tokens * d), f = work.Span(Scratch.BlockF, tokens * d), attnPre = work.Span(Scratch.BlockPre, tokens * hc);
        Span<T> post = work.Span(Scratch.BlockPost, tokens * hc), comb = work.Span(Scratch.BlockComb, tokens * hc * hc);

        // 1. attention site: mixes from h, input collapsed with the incoming pre-mix (hc_post in place) [T, hc, dim]
        _hcAttn.Coefficients(h, tokens, work, attnPre, post, comb);
        HyperConnections<T>.Collapse(h, preMix, tokens, hc, d, x);
        _attnNorm.ForwardInPlace(x);
        attention(x, f);
        _hcAttn.Post(f, post, comb, tokens, h);

        // 2. FFN site: mixes from h, input collapsed with the attention pre-mix              [T, hc, dim]
        _hcFfn.Coefficients(h, tokens, work, preMix, post, comb);
        HyperConnections<T>.Collapse(h, attnPre, tokens, hc, d, x);
        _ffnNorm.ForwardInPlace(x);
        Ffn.Forward(x, ids, positions, work, f, taps, image);
        _hcFfn.Post(f, post, comb, tokens, h);
    }
}
