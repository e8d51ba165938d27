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

    public Block(WeightScope scope, LayerMemoryPlan plan, bool hashRouted)
    {
        var c = scope.Config;
        _layer = plan.Block; _hc = c.HcMult; _dim = c.Dim;
        Attn = new Attention<T>(scope.Scope("attn"), plan);
        Ffn = new Moe<T>(scope.Scope("ffn"), _layer, hashRouted);
        _attnNorm = new RmsNorm<T>(scope, "attn_norm", c.Dim, c.NormEps);
        _ffnNorm = new RmsNorm<T>(scope, "ffn_norm", c.Dim, c.NormEps);
        _hcAttn = new HyperConnections<T>(scope, "attn", c.HcMult, c.Dim, c.HcSinkhornIters, c.HcEps, c.NormEps);
        _hcFfn = new HyperConnections<T>(scope, "ffn", c.HcMult, c.Dim, c.HcSinkhornIters, c.HcEps, c.NormEps);
    }

    /// <summary>One sequence: tokens at positions startPos.. of <paramref name="memory"/> (a thin wrapper over the batched form).</summary>
    public void Forward(Span<T> h, ReadOnlySpan<int> ids, long startPos, int tokens, IAttentionMemory<T> memory, ForwardWorkspace<T> work, ITapSink<T>? taps)
    {
        long[] positions = new long[tokens];
        var memories = new IAttentionMemory<T>[tokens];
        for (int t = 0; t < tokens; t++) { positions[t] = startPos + t; memories[t] = memory; }
        Forward(h, ids, positions, memories, work, taps);
    }

    /// <summary>
    /// h [T, hc, dim] updated in place; ids [T] are the tokens (hash routing); token t sits at
    /// positions[t] of the sequence whose memory of this block is memories[t].
    /// </summary>
    public void Forward(Span<T> h, ReadOnlySpan<int> ids, long[] positions, IAttentionMemory<T>[] memories, ForwardWorkspace<T> work, ITapSink<T>? taps)
    {
        int hc = _hc, d = _dim, tokens = positions.Length;
        bool tap = taps?.Wants(_layer) ?? false;
        Span<T> x = work.Span(Scratch.BlockX, tokens * d), f = work.Span(Scratch.BlockF, tokens * d);
        Span<T> post = work.Span(Scratch.BlockPost, tokens * hc), comb = work.Span(Scratch.BlockComb, tokens * hc * hc);

        // 1. attention site: x = attn_norm(hc_pre(h)); hc_post rewrites h in place  [T, hc, dim]
        _hcAttn.Pre(h, tokens, work, _attnNorm, x, post, comb);
        if (tap) TapHc(taps!, "hc_attn", positions, post, comb);
        work.Lap(ForwardOp.HyperConnections);
        if (tap) for (int t = 0; t < tokens; t++) taps!.Record(_layer, "attn_in", positions[t], x.Slice(t * d, d));
        Attn.Forward(x, positions, memories, work, f, taps);
        _hcAttn.Post(f, post, comb, tokens, h);
        work.Lap(ForwardOp.HyperConnections);

        // 2. FFN site: x = ffn_norm(hc_pre(h))                              [T, hc, dim]
        _hcFfn.Pre(h, tokens, work, _ffnNorm, x, post, comb);
        if (tap) TapHc(taps!, "hc_ffn", positions, post, comb);
        work.Lap(ForwardOp.HyperConnections);
        if (tap) for (int t = 0; t < tokens; t++) taps!.Record(_layer, "ffn_in", positions[t], x.Slice(t * d, d));
        Ffn.Forward(x, ids, positions, work, f, taps);
        _hcFfn.Post(f, post, comb, tokens, h);
        work.Lap(ForwardOp.HyperConnections);
    }

    private void TapHc(ITapSink<T> taps, string site, long[] positions, ReadOnlySpan<T> post, ReadOnlySpan<T> comb)
    {
        int tokens = positions.Length;
        int hc = _hc;
        for (int t = 0; t < tokens; t++)
        {
            taps.Record(_layer, site + "_post", positions[t], post.Slice(t * hc, hc));
            taps.Record(_layer, site + "_comb", positions[t], comb.Slice(t * hc * hc, hc * hc));
        }
    }
}
