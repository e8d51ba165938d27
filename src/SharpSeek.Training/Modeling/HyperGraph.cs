// mHC in the training graph, as HyperConnections / HyperHead do it at inference, with their
// tensors bound through the same WeightScope construction (HyperNames: hc_{site}_fn/base/scale):
// the mix vector from the flattened streams, pre/post sigmoid weights, the Sinkhorn-normalised
// combination matrix, the collapse into the sub-layer input and the write-back; and the head's collapse.
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Tensors;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

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
        // 4. sub-layer on the collapsed input, write back                    [N, hc*d]
        Tensor f = sublayer(tape.Collapse(h, pre));
        return tape.HcPost(f, h, post, comb);
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
