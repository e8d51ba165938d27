// mHC in the training graph, as HyperConnections does it at inference: the mix vector from the
// flattened streams, pre/post sigmoid weights, the Sinkhorn-normalised combination matrix, the
// collapse into the sub-layer input and the write-back; and the head's collapse.
using SharpSeek.Model.Config;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class HyperGraph(ParameterSet p, ModelConfig c)
{
    /// <summary>h [N, hc*d] -> h' after the sub-layer f = sublayer(x), x = sum_i pre_i h_i.</summary>
    public Tensor Site(Tape tape, Tensor h, string prefix, string site, Func<Tensor, Tensor> sublayer)
    {
        int hc = c.HcMult;
        float eps = (float)c.HcEps;
        Tensor fn = p[$"{prefix}hc_{site}_fn"].Value, bias = p[$"{prefix}hc_{site}_base"].Value, scale = p[$"{prefix}hc_{site}_scale"].Value;
        // 1. mix = (fn @ h) * rsqrt(mean(h^2) + eps)                        [N, mix]
        Tensor mix = tape.MulRowRms(tape.Linear(h, fn), h, (float)c.NormEps);
        // 2. pre, post                                                       [N, hc]
        Tensor pre = tape.AddConst(tape.Sigmoid(tape.AddBias(tape.MulScalar(tape.SliceCols(mix, 0, hc), scale, 0), bias, 0)), eps);
        Tensor post = tape.Scale(tape.Sigmoid(tape.AddBias(tape.MulScalar(tape.SliceCols(mix, hc, hc), scale, 1), bias, hc)), 2f);
        // 3. comb = Sinkhorn(mix * s2 + b)                                   [N, hc*hc]
        Tensor comb = tape.AddBias(tape.MulScalar(tape.SliceCols(mix, 2 * hc, hc * hc), scale, 2), bias, 2 * hc);
        comb = tape.AddConst(tape.Softmax(comb.View(comb.Rows * hc, hc)), eps).View(h.Rows, hc * hc);
        comb = tape.Sinkhorn(comb, hc, c.HcSinkhornIters, eps);     // columns, then (iters - 1) x rows and columns
        // 4. sub-layer on the collapsed input, write back                    [N, hc*d]
        Tensor f = sublayer(tape.Collapse(h, pre));
        return tape.HcPost(f, h, post, comb);
    }

    /// <summary>Head collapse: y = sum_i (sigmoid(mix_i * scale + base_i) + eps) h_i -> [N, d].</summary>
    public Tensor Head(Tape tape, Tensor h, string prefix)
    {
        Tensor mix = tape.MulRowRms(tape.Linear(h, p[$"{prefix}hc_head_fn"].Value), h, (float)c.NormEps);
        Tensor pre = tape.AddConst(tape.Sigmoid(tape.AddBias(tape.MulScalar(mix, p[$"{prefix}hc_head_scale"].Value, 0), p[$"{prefix}hc_head_base"].Value)), (float)c.HcEps);
        return tape.Collapse(h, pre);
    }
}
