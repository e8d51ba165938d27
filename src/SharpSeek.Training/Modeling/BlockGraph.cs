// One V4 block in the training graph, built as Block and HyperConnections are at inference (attn
// and ffn sub-scopes, attn_norm / ffn_norm, the two mHC sites hc_attn_* / hc_ffn_*), every tensor
// bound through the same WeightScope construction; Forward mirrors Block.Forward step for step.
// mHC as HyperConnections / HyperHead compute it: the mix vector from the flattened streams, pre/post
// sigmoid weights, the Sinkhorn-normalised combination matrix, the collapse into the sub-layer input
// and the write-back; and the head's collapse (model and MTP block).
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class BlockGraph
{
    private readonly ModelConfig _c;
    private readonly Tensor _attnNorm, _ffnNorm;   // [dim]
    private readonly HyperGraph _hcAttn, _hcFfn;
    private readonly AttentionGraph _attn;

    public MoeGraph Ffn { get; }

    public BlockGraph(ParameterScope scope, int blockIndex, bool hashRouted)
    {
        var c = _c = scope.Config;
        _attn = new AttentionGraph(scope.Scope("attn"), blockIndex, c.CompressRatio(blockIndex));
        Ffn = new MoeGraph(scope.Scope("ffn"), hashRouted);
        _attnNorm = scope.Norm("attn_norm", c.Dim);
        _ffnNorm = scope.Norm("ffn_norm", c.Dim);
        _hcAttn = new HyperGraph(scope, "attn");
        _hcFfn = new HyperGraph(scope, "ffn");
    }

    /// <summary>h [B*T, hc*d] -> h' [B*T, hc*d]: mHC(attention site), then mHC(FFN site); ids route hash layers.</summary>
    public Tensor Forward(Tape tape, Tensor h, int[] ids, int batch, int seqLen, List<Tensor> aux, ITapSink<float>? taps = null)
    {
        float eps = (float)_c.NormEps;
        h = _hcAttn.Forward(tape, h, x => _attn.Forward(tape, tape.RmsNorm(x, _attnNorm, eps), batch, seqLen, aux, taps));
        return _hcFfn.Forward(tape, h, x => Ffn.Forward(tape, tape.RmsNorm(x, _ffnNorm, eps), ids));
    }
}

/// <summary>One mHC site ("attn" or "ffn") of a block.</summary>
public sealed class HyperGraph
{
    private readonly Tensor _fn, _base, _scale;   // [mix, hc*d], [mix], [3]
    private readonly ModelConfig _c;

    public HyperGraph(ParameterScope scope, string site)
    {
        var c = _c = scope.Config;
        _fn = scope.RawMatrix(HyperNames.Fn(site), c.MixHc, c.HcMult * c.Dim);
        _base = scope.Vector(HyperNames.Base(site), DType.F32, c.MixHc).Value;
        _scale = scope.Vector(HyperNames.Scale(site), DType.F32, 3).Value;
    }

    /// <summary>h [N, hc*d] -> h' after the sub-layer f = sublayer(x), x = sum_i pre_i h_i.</summary>
    public Tensor Forward(Tape tape, Tensor h, Func<Tensor, Tensor> sublayer)
    {
        var (pre, post, comb) = Coefficients(tape, h);
        // 4. sub-layer on the collapsed input, write back                    [N, hc*d]
        Tensor f = sublayer(tape.Collapse(h, pre));
        return tape.HcPost(f, h, post, comb);
    }

    /// <summary>The site's mixes of h [N, hc*d]: pre [N, hc], post [N, hc], comb [N, hc*hc] (V4.1 single-pass mHC collapses with another site's pre).</summary>
    public (Tensor Pre, Tensor Post, Tensor Comb) Coefficients(Tape tape, Tensor h)
    {
        int hc = _c.HcMult;
        float eps = (float)_c.HcEps;
        // 1. mix = (fn @ h) * rsqrt(mean(h^2) + eps)                        [N, mix]
        Tensor mix = tape.MulRowRms(tape.Linear(h, _fn), h, (float)_c.NormEps);
        // 2. pre, post                                                       [N, hc]
        Tensor pre = tape.AddConst(tape.Sigmoid(tape.AddBias(tape.MulScalar(tape.SliceCols(mix, 0, hc), _scale, 0), _base, 0)), eps);
        Tensor post = tape.Scale(tape.Sigmoid(tape.AddBias(tape.MulScalar(tape.SliceCols(mix, hc, hc), _scale, 1), _base, hc)), 2f);
        // 3. comb = Sinkhorn(mix * s2 + b)                                   [N, hc*hc]
        Tensor comb = tape.AddBias(tape.MulScalar(tape.SliceCols(mix, 2 * hc, hc * hc), _scale, 2), _base, 2 * hc);
        comb = tape.AddConst(tape.Softmax(comb.View(comb.Rows * hc, hc)), eps).View(h.Rows, hc * hc);
        comb = tape.Sinkhorn(comb, hc, _c.HcSinkhornIters, eps);     // columns, then (iters - 1) x rows and columns
        return (pre, post, comb);
    }
}

/// <summary>The head's collapse (model and MTP block): y = sum_i (sigmoid(mix_i * scale + base_i) + eps) h_i.</summary>
public sealed class HyperHeadGraph
{
    private readonly Tensor _fn, _base, _scale;   // [hc, hc*d], [hc], [1]
    private readonly ModelConfig _c;

    public HyperHeadGraph(ParameterScope scope)
    {
        var c = _c = scope.Config;
        _fn = scope.RawMatrix(HyperNames.Fn(HyperNames.HeadSite), c.HcMult, c.HcMult * c.Dim);
        _base = scope.Vector(HyperNames.Base(HyperNames.HeadSite), DType.F32, c.HcMult).Value;
        _scale = scope.Vector(HyperNames.Scale(HyperNames.HeadSite), DType.F32, 1).Value;
    }

    /// <summary>h [N, hc*d] -> y [N, d].</summary>
    public Tensor Forward(Tape tape, Tensor h)
    {
        Tensor mix = tape.MulRowRms(tape.Linear(h, _fn), h, (float)_c.NormEps);
        Tensor pre = tape.AddConst(tape.Sigmoid(tape.AddBias(tape.MulScalar(mix, _scale, 0), _base)), (float)_c.HcEps);
        return tape.Collapse(h, pre);
    }
}
