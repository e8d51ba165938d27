// One V4 block over the hc residual streams: mHC(attention site) then mHC(FFN site).
//   x = attn_norm(hc_pre(h)); h = hc_post(attn(x), h); x = ffn_norm(hc_pre(h)); h = hc_post(moe(x), h)
using System.Numerics;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers;

public sealed class Block<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly HyperConnections<T> _hcAttn, _hcFfn;
    private readonly RmsNorm<T> _attnNorm, _ffnNorm;
    private readonly int _layer, _hc, _dim;

    public Attention<T> Attn { get; }
    public Moe<T> Ffn { get; }

    public Block(WeightScope scope, int layer, int ratio, bool hashRouted)
    {
        var c = scope.Config;
        _layer = layer; _hc = c.HcMult; _dim = c.Dim;
        Attn = new Attention<T>(scope.Scope("attn"), layer, ratio);
        Ffn = new Moe<T>(scope.Scope("ffn"), layer, hashRouted);
        _attnNorm = new RmsNorm<T>(scope, "attn_norm", c.Dim, c.NormEps);
        _ffnNorm = new RmsNorm<T>(scope, "ffn_norm", c.Dim, c.NormEps);
        _hcAttn = new HyperConnections<T>(scope, "attn", c.HcMult, c.Dim, c.HcSinkhornIters, c.HcEps, c.NormEps);
        _hcFfn = new HyperConnections<T>(scope, "ffn", c.HcMult, c.Dim, c.HcSinkhornIters, c.HcEps, c.NormEps);
    }

    /// <summary>h [T, hc, dim] updated in place; ids [T] are the tokens (hash routing).</summary>
    public void Forward(Span<T> h, ReadOnlySpan<int> ids, long startPos, int tokens, AttentionState<T> state, ITapSink<T>? taps)
    {
        long[] positions = new long[tokens];
        var states = new AttentionState<T>[tokens];
        for (int t = 0; t < tokens; t++) { positions[t] = startPos + t; states[t] = state; }
        Forward(h, ids, positions, states, taps);
    }

    /// <summary>Batched form: token t at positions[t] of the sequence whose memory is states[t].</summary>
    public void Forward(Span<T> h, ReadOnlySpan<int> ids, long[] positions, AttentionState<T>[] states, ITapSink<T>? taps)
    {
        int hc = _hc, d = _dim, tokens = positions.Length;
        bool tap = taps?.Wants(_layer) ?? false;
        T[] x = new T[tokens * d], f = new T[tokens * d], post = new T[tokens * hc], comb = new T[tokens * hc * hc];
        T[] residual = h[..(tokens * hc * d)].ToArray();

        // 1. attention site                                                 [T, hc, dim]
        _hcAttn.Pre(residual, tokens, x, post, comb);
        if (tap) TapHc(taps!, "hc_attn", positions, post, comb);
        _attnNorm.ForwardInPlace(x);
        if (tap) for (int t = 0; t < tokens; t++) taps!.Record(_layer, "attn_in", positions[t], x.AsSpan(t * d, d));
        Attn.Forward(x, positions, states, f, taps);
        _hcAttn.Post(f, residual, post, comb, tokens, h);

        // 2. FFN site                                                       [T, hc, dim]
        h[..(tokens * hc * d)].CopyTo(residual);
        _hcFfn.Pre(residual, tokens, x, post, comb);
        if (tap) TapHc(taps!, "hc_ffn", positions, post, comb);
        _ffnNorm.ForwardInPlace(x);
        Ffn.Forward(x, ids, positions, f, taps);
        _hcFfn.Post(f, residual, post, comb, tokens, h);
    }

    private void TapHc(ITapSink<T> taps, string site, long[] positions, T[] post, T[] comb)
    {
        int tokens = positions.Length;
        int hc = _hc;
        for (int t = 0; t < tokens; t++)
        {
            taps.Record(_layer, site + "_post", positions[t], post.AsSpan(t * hc, hc));
            taps.Record(_layer, site + "_comb", positions[t], comb.AsSpan(t * hc * hc, hc * hc));
        }
    }
}
