// One V4 block and the MTP block in the training graph, built as Block and MtpBlock are at
// inference (attn and ffn sub-scopes, attn_norm / ffn_norm, the two mHC sites; the MTP block's
// e_proj / h_proj / enorm / hnorm / norm and its own head collapse), every tensor bound through the
// same WeightScope construction. Forward mirrors Block.Forward and MtpBlock.Forward step for step.
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class BlockGraph
{
    private readonly ModelConfig _c;
    private readonly Tensor _attnNorm, _ffnNorm;   // [dim]
    private readonly HyperGraph _hcAttn, _hcFfn;
    private readonly AttentionGraph _attn;

    public MoeGraph Ffn { get; }

    public BlockGraph(ParameterScope scope, int ratio, bool hashRouted)
    {
        var c = _c = scope.Config;
        _attn = new AttentionGraph(scope.Scope("attn"), ratio);
        Ffn = new MoeGraph(scope.Scope("ffn"), hashRouted);
        _attnNorm = scope.Norm("attn_norm", c.Dim);
        _ffnNorm = scope.Norm("ffn_norm", c.Dim);
        _hcAttn = new HyperGraph(scope, "attn");
        _hcFfn = new HyperGraph(scope, "ffn");
    }

    /// <summary>h [B*T, hc*d] -> h' [B*T, hc*d]: mHC(attention site), then mHC(FFN site); ids route hash layers.</summary>
    public Tensor Forward(Tape tape, Tensor h, int[] ids, int batch, int seqLen, List<Tensor> aux)
    {
        float eps = (float)_c.NormEps;
        h = _hcAttn.Forward(tape, h, x => _attn.Forward(tape, tape.RmsNorm(x, _attnNorm, eps), batch, seqLen, aux));
        return _hcFfn.Forward(tape, h, x => Ffn.Forward(tape, tape.RmsNorm(x, _ffnNorm, eps), ids));
    }
}

/// <summary>The MTP block: from the main streams h at position p and the embedding of token p+1 it predicts token p+2.</summary>
public sealed class MtpGraph
{
    private readonly ModelConfig _c;
    private readonly Tensor _eProj, _hProj;            // [dim, dim]
    private readonly Tensor _enorm, _hnorm;            // [dim]

    public BlockGraph Block { get; }
    public HyperHeadGraph HcHead { get; }
    /// <summary>The final norm before the shared head [dim].</summary>
    public Tensor Norm { get; }

    public MtpGraph(ParameterScope scope, int blockIndex)
    {
        var c = _c = scope.Config;
        Block = new BlockGraph(scope, c.CompressRatio(blockIndex), hashRouted: false);
        _eProj = scope.Linear("e_proj", c.Dim, c.Dim, LinearKind.Dense);
        _hProj = scope.Linear("h_proj", c.Dim, c.Dim, LinearKind.Dense);
        _enorm = scope.Norm("enorm", c.Dim);
        _hnorm = scope.Norm("hnorm", c.Dim);
        Norm = scope.Norm("norm", c.Dim);
        HcHead = new HyperHeadGraph(scope);
    }

    /// <summary>h [N, hc*d] (main final streams), e [N, d] (embeddings of the next ids) -> this block's final streams.</summary>
    public Tensor Streams(Tape tape, Tensor h, Tensor e, int[] nextIds, int batch, int seqLen, List<Tensor> aux)
    {
        float eps = (float)_c.NormEps;
        int hc = _c.HcMult, d = _c.Dim, N = h.Rows;
        // 1. x = e_proj(enorm(e)) (on every stream) + h_proj(hnorm(h))        [N, hc*d]
        Tensor ep = tape.Linear(tape.RmsNorm(e, _enorm, eps), _eProj);
        Tensor hp = tape.Linear(tape.RmsNorm(h.View(N * hc, d), _hnorm, eps), _hProj);
        Tensor x = tape.Repeat(ep, hc, hp.View(N, hc * d));
        // 2. the block
        return Block.Forward(tape, x, nextIds, batch, seqLen, aux);
    }
}
