// DeepSeek V4 as a training graph, top to bottom as DeepSeekV4 runs it: embedding -> hc copies ->
// blocks (mHC attention site, mHC FFN site) -> hc head -> norm -> head; then the MTP block on the
// final streams and the next token's embedding. Loss = next-token CE + mtpWeight * MTP CE
// (+ indexerWeight * indexer KL, which only reaches the indexer). Heads are evaluated only on
// rows that have a target.
using SharpSeek.Model.Config;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class V4Graph
{
    private readonly ParameterSet _p;
    private readonly ModelConfig _c;
    private readonly HyperGraph _hyper;
    private readonly AttentionGraph[] _attn;
    private readonly MoeGraph[] _moe;

    public ParameterSet Parameters => _p;
    public float MtpWeight { get; init; } = 0.3f;
    public float IndexerWeight { get; init; } = 0.1f;
    /// <summary>Tokens routed to each expert of each score-routed MoE during the last forward.</summary>
    public Dictionary<string, long[]> Loads { get; } = new(StringComparer.Ordinal);

    public V4Graph(ParameterSet p)
    {
        _p = p; _c = p.Config;
        _hyper = new HyperGraph(p, _c);
        int blocks = _c.NumLayers + _c.NumMtpLayers;
        _attn = new AttentionGraph[blocks];
        _moe = new MoeGraph[blocks];
        for (int b = 0; b < blocks; b++)
        {
            string s = b < _c.NumLayers ? $"layers.{b}." : $"mtp.{b - _c.NumLayers}.";
            _attn[b] = new AttentionGraph(p, _c, s + "attn.", _c.CompressRatio(b));
            _moe[b] = new MoeGraph(p, _c, s + "ffn.", b < _c.NumLayers && _c.IsHashLayer(b));
        }
    }

    /// <summary>Main model: ids -> final streams [B*T, hc*d].</summary>
    public Tensor Streams(Tape tape, int[] ids, int batch, int seqLen, List<Tensor> aux)
    {
        Tensor h = tape.Repeat(tape.Embedding(_p["embed.weight"].Value, ids), _c.HcMult);
        for (int l = 0; l < _c.NumLayers; l++) h = Block(tape, h, l, $"layers.{l}.", ids, batch, seqLen, aux);
        return h;
    }

    private Tensor Block(Tape tape, Tensor h, int b, string s, int[] ids, int batch, int seqLen, List<Tensor> aux)
    {
        float eps = (float)_c.NormEps;
        h = _hyper.Site(tape, h, s, "attn", x => _attn[b].Forward(tape, tape.RmsNorm(x, _p[s + "attn_norm.weight"].Value, eps), batch, seqLen, aux));
        if (!_moe[b].IsHash && !Loads.ContainsKey(_moe[b].Scope)) Loads[_moe[b].Scope] = new long[_c.NumRoutedExperts];
        long[] loads = Loads.TryGetValue(_moe[b].Scope, out long[]? l) ? l : new long[_c.NumRoutedExperts];
        return _hyper.Site(tape, h, s, "ffn", x => _moe[b].Forward(tape, tape.RmsNorm(x, _p[s + "ffn_norm.weight"].Value, eps), ids, loads));
    }

    /// <summary>Logits [rows.Length, vocab] of the main head for the given rows of the streams.</summary>
    public Tensor Logits(Tape tape, Tensor h, int[] rows, string prefix = "")
    {
        Tensor hs = tape.GatherRows(h, rows);
        Tensor y = tape.RmsNorm(_hyper.Head(tape, hs, prefix), _p[prefix + "norm.weight"].Value, (float)_c.NormEps);
        return tape.Linear(y, _p["head.weight"].Value);
    }

    /// <summary>MTP block k: streams h of positions t and next ids t+1 -> its final streams.</summary>
    public Tensor MtpStreams(Tape tape, Tensor h, int[] nextIds, int batch, int seqLen, List<Tensor> aux, int k = 0)
    {
        string s = $"mtp.{k}.";
        float eps = (float)_c.NormEps;
        int hc = _c.HcMult, d = _c.Dim, N = h.Rows;
        Tensor e = tape.Linear(tape.RmsNorm(tape.Embedding(_p["embed.weight"].Value, nextIds), _p[s + "enorm.weight"].Value, eps), _p[s + "e_proj.weight"].Value);
        Tensor hp = tape.Linear(tape.RmsNorm(h.View(N * hc, d), _p[s + "hnorm.weight"].Value, eps), _p[s + "h_proj.weight"].Value);
        Tensor x = tape.Repeat(e, hc, hp.View(N, hc * d));
        return Block(tape, x, _c.NumLayers + k, s, nextIds, batch, seqLen, aux);
    }

    /// <summary>Builds the whole loss of a batch on the tape.</summary>
    public (Tensor Loss, StepLosses Parts) Loss(Tape tape, TrainBatch b)
    {
        foreach (long[] l in Loads.Values) Array.Clear(l);
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
            mtp = tape.CrossEntropy(Logits(tape, hm, mrows, "mtp.0."), mtargets);
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
