// The multi-token-prediction block (April V4 layout): from the main model's final streams h at
// position p and the embedding of token p+1 it predicts token p+2. x = e_proj(enorm(e)) (broadcast
// over streams) + h_proj(hnorm(h)); then a full window-only Block; its own hc_head and norm; the
// shared head. It is the draft model of speculative decoding.
using System.Numerics;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers;

public sealed class MtpBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _eProj, _hProj;
    private readonly RmsNorm<T> _enorm, _hnorm;
    private readonly int _hc, _dim;

    public Block<T> Block { get; }
    public HyperHead<T> HcHead { get; }
    public RmsNorm<T> Norm { get; }
    public int BlockIndex { get; }

    public MtpBlock(WeightScope scope, LayerMemoryPlan plan)
    {
        var c = scope.Config;
        _hc = c.HcMult; _dim = c.Dim; BlockIndex = plan.Block;
        Block = new Block<T>(scope, plan, hashRouted: false);
        _eProj = scope.Linear("e_proj", c.Dim, c.Dim, LinearKind.Dense);
        _hProj = scope.Linear("h_proj", c.Dim, c.Dim, LinearKind.Dense);
        _enorm = new RmsNorm<T>(scope, "enorm", c.Dim, c.NormEps);
        _hnorm = new RmsNorm<T>(scope, "hnorm", c.Dim, c.NormEps);
        Norm = new RmsNorm<T>(scope, "norm", c.Dim, c.NormEps);
        HcHead = new HyperHead<T>(scope, c.HcMult, c.Dim, c.HcEps, c.NormEps);
    }

    /// <summary>
    /// h [T, hc, dim] (main model's final streams), e [T, dim] (embeddings of the next ids) ->
    /// y [T, dim] (normed, ready for the head) at positions startPos..; updates the MTP memory.
    /// </summary>
    public void Forward(ReadOnlySpan<T> h, ReadOnlySpan<T> e, ReadOnlySpan<int> nextIds, long startPos, int tokens, IAttentionMemory<T> memory, ForwardWorkspace<T> work, Span<T> y, ITapSink<T>? taps)
    {
        int hc = _hc, d = _dim;
        // 1. x = e_proj(enorm(e)) + h_proj(hnorm(h))                         [T, hc, dim]
        T[] en = e[..(tokens * d)].ToArray();
        _enorm.ForwardInPlace(en);
        T[] ep = new T[tokens * d];
        _eProj.Forward(en, ep, tokens);
        T[] hn = h[..(tokens * hc * d)].ToArray();
        _hnorm.ForwardInPlace(hn);
        T[] x = new T[tokens * hc * d];
        _hProj.Forward(hn, x, tokens * hc);
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < hc; k++)
            {
                Span<T> row = x.AsSpan((t * hc + k) * d, d);
                ReadOnlySpan<T> add = ep.AsSpan(t * d, d);
                for (int i = 0; i < d; i++) row[i] += add[i];
            }
        // 2. the block, 3. collapse and norm                                 [T, dim]
        Block.Forward(x, nextIds, startPos, tokens, memory, work, taps);
        HcHead.Forward(x, tokens, y);
        Norm.ForwardInPlace(y[..(tokens * d)]);
    }
}
