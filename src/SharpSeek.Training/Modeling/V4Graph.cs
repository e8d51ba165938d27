// DeepSeek V4 as a training graph, built as DeepSeekV4 is built (embed, layers.{i}, norm, head,
// hc_head, mtp.{k}) from a ParameterScope over the trainer's parameters, so every tensor comes
// from the same WeightScope construction and the graph provably uses the whole weight map. Forward
// top to bottom as DeepSeekV4 runs it: embedding -> hc copies -> blocks -> hc head -> norm -> head;
// then the MTP block (as MtpBlock: e_proj(enorm(e)) + h_proj(hnorm(h)), a block, its own collapse
// and norm, the shared head) on the final streams and the next token's embedding. Loss = next-token
// CE + mtpWeight * MTP CE (+ indexerWeight * indexer KL, which only reaches the indexer). Heads are
// evaluated only on rows that have a target.
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Weights;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class V4Graph
{
    private readonly ParameterSet _p;
    private readonly ModelConfig _c;
    private readonly Tensor _embed, _head, _norm;   // [vocab, dim], [vocab, dim], [dim]
    private readonly HyperHeadGraph _hcHead;
    private readonly BlockGraph[] _layers;
    private readonly MtpGraph[] _mtp;

    public ParameterSet Parameters => _p;
    public float MtpWeight { get; init; } = 0.3f;
    public float IndexerWeight { get; init; } = 0.1f;
    /// <summary>The MoE of every block (main layers, then MTP); score-routed ones count their loads for the balancing.</summary>
    public IReadOnlyList<MoeGraph> Moes { get; }

    public V4Graph(ParameterSet p)
    {
        _p = p;
        var c = _c = p.Config;
        ParameterScope scope = ParameterScope.Root(p);
        _embed = scope.Linear("embed", c.VocabSize, c.Dim, LinearKind.Bf16);
        _layers = new BlockGraph[c.NumLayers];
        for (int i = 0; i < c.NumLayers; i++) _layers[i] = new BlockGraph(scope.Scope("layers").Scope(i), i, c.IsHashLayer(i));
        _norm = scope.Norm("norm", c.Dim);
        _head = scope.Linear("head", c.VocabSize, c.Dim, LinearKind.Bf16);
        _hcHead = new HyperHeadGraph(scope);
        _mtp = new MtpGraph[c.NumMtpLayers];
        for (int k = 0; k < c.NumMtpLayers; k++) _mtp[k] = new MtpGraph(scope.Scope("mtp").Scope(k), c.NumLayers + k);
        scope.CheckAllBound();
        Moes = _layers.Select(b => b.Ffn).Concat(_mtp.Select(m => m.Block.Ffn)).ToArray();
    }

    /// <summary>Main model: ids -> final streams [B*T, hc*d]; taps as the inference model names them (see AttentionGraph).</summary>
    public Tensor Streams(Tape tape, int[] ids, int batch, int seqLen, List<Tensor> aux, ITapSink<float>? taps = null)
    {
        Tensor h = tape.Repeat(tape.Embedding(_embed, ids), _c.HcMult);
        foreach (BlockGraph b in _layers) h = b.Forward(tape, h, ids, batch, seqLen, aux, taps);
        return h;
    }

    /// <summary>Logits [rows.Length, vocab] of the main head for the given rows of the main streams.</summary>
    public Tensor Logits(Tape tape, Tensor h, int[] rows) => Head(tape, h, rows, _hcHead, _norm);

    /// <summary>Logits [rows.Length, vocab] of MTP block k's prediction (the shared head on its own collapse and norm).</summary>
    public Tensor MtpLogits(Tape tape, Tensor hm, int[] rows, int k = 0) => Head(tape, hm, rows, _mtp[k].HcHead, _mtp[k].Norm);

    private Tensor Head(Tape tape, Tensor h, int[] rows, HyperHeadGraph hcHead, Tensor norm)
    {
        Tensor hs = tape.GatherRows(h, rows);
        Tensor y = tape.RmsNorm(hcHead.Forward(tape, hs), norm, (float)_c.NormEps);
        return tape.Linear(y, _head);
    }

    /// <summary>MTP block k: streams h of positions t and next ids t+1 -> its final streams.</summary>
    public Tensor MtpStreams(Tape tape, Tensor h, int[] nextIds, int batch, int seqLen, List<Tensor> aux, int k = 0, ITapSink<float>? taps = null) =>
        _mtp[k].Streams(tape, h, tape.Embedding(_embed, nextIds), nextIds, batch, seqLen, aux, taps);

    /// <summary>Builds the whole loss of a batch on the tape.</summary>
    public (Tensor Loss, StepLosses Parts) Loss(Tape tape, TrainBatch b)
    {
        foreach (MoeGraph m in Moes) m.ClearLoads();
        var aux = new List<Tensor>();
        Tensor h = Streams(tape, b.Ids, b.Batch, b.SeqLen, aux);
        var (rows, targets) = Rows(b.Targets);
        Tensor lm = tape.CrossEntropy(Logits(tape, h, rows), targets);
        var losses = new List<Tensor> { lm };
        var weights = new List<float> { 1f };
        Tensor? mtp = null;
        if (_c.NumMtpLayers > 0 && MtpWeight > 0)
        {
            int[] next = new int[b.Tokens];
            for (int i = 0; i < b.Tokens; i++) next[i] = i % b.SeqLen + 1 < b.SeqLen ? b.Ids[i + 1] : 0;
            Tensor hm = MtpStreams(tape, h, next, b.Batch, b.SeqLen, aux);
            var (mrows, mtargets) = Rows(b.MtpTargets);
            mtp = tape.CrossEntropy(MtpLogits(tape, hm, mrows), mtargets);
            losses.Add(mtp); weights.Add(MtpWeight);
        }
        float idx = 0;
        foreach (Tensor a in aux) { losses.Add(a); weights.Add(IndexerWeight / aux.Count); idx += a.Data[0] / aux.Count; }
        Tensor total = tape.WeightedSum(losses, weights);
        return (total, new StepLosses(total.Data[0], lm.Data[0], mtp?.Data[0] ?? 0f, idx));
    }

    private static (int[] Rows, int[] Targets) Rows(int[] targets)
    {
        var rows = new List<int>();
        for (int i = 0; i < targets.Length; i++) if (targets[i] >= 0) rows.Add(i);
        return (rows.ToArray(), rows.Select(r => targets[r]).ToArray());
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
        Block = new BlockGraph(scope, blockIndex, hashRouted: false);
        _eProj = scope.Linear("e_proj", c.Dim, c.Dim, LinearKind.Dense);
        _hProj = scope.Linear("h_proj", c.Dim, c.Dim, LinearKind.Dense);
        _enorm = scope.Norm("enorm", c.Dim);
        _hnorm = scope.Norm("hnorm", c.Dim);
        Norm = scope.Norm("norm", c.Dim);
        HcHead = new HyperHeadGraph(scope);
    }

    /// <summary>h [N, hc*d] (main final streams), e [N, d] (embeddings of the next ids) -> this block's final streams.</summary>
    public Tensor Streams(Tape tape, Tensor h, Tensor e, int[] nextIds, int batch, int seqLen, List<Tensor> aux, ITapSink<float>? taps = null)
    {
        float eps = (float)_c.NormEps;
        int hc = _c.HcMult, d = _c.Dim, N = h.Rows;
        // 1. x = e_proj(enorm(e)) (on every stream) + h_proj(hnorm(h))        [N, hc*d]
        Tensor ep = tape.Linear(tape.RmsNorm(e, _enorm, eps), _eProj);
        Tensor hp = tape.Linear(tape.RmsNorm(h.View(N * hc, d), _hnorm, eps), _hProj);
        Tensor x = tape.Repeat(ep, hc, hp.View(N, hc * d));
        // 2. the block
        return Block.Forward(tape, x, nextIds, batch, seqLen, aux, taps);
    }
}
