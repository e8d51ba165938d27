// The DSpark draft head as a training graph, built as DSparkStageWeights / V41Block / V41Attention build
// it (the draft ParameterSet holds DSparkV4.WeightMap; every name comes from the same WeightScope
// construction and the graph must use the whole map), over the FROZEN main model: its embedding and
// vocabulary head are constants, main_hidden rows are inputs. Forward as DSparkHead.Draft runs it:
//   main_x = main_norm(main_proj(main_hidden)); per stage window KV = FP8(RoPE(kv_norm(wkv main_x)))
//   block [anchor, noise..] -> embed -> hc copies -> per stage the single-pass-mHC block whose attention
//   sees the anchor's window rows and all block rows -> collapse with the last pre-mix -> norm -> head,
//   plus the Markov bias markov_w2(markov_w1[previous token]) (teacher-forced: the true previous token).
// Loss: cross-entropy of every block row with a target (the main model's greedy next token).
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Layers.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

/// <summary>
/// One step's anchors. MainHidden [M, n_targets*dim] rows at MainPositions [M] (whole sequences, concatenated);
/// per anchor its window (Spans) and block position L; per block row (A*B): block ids (anchor, noise..), the
/// Markov previous token and the target (-1: none).
/// </summary>
public sealed record DraftBatch(float[] MainHidden, long[] MainPositions, DSparkSpans Spans, long[] BlockStart, int[] BlockIds, int[] Previous, int[] Targets)
{
    public int Rows => BlockIds.Length;
}

public sealed class DSparkGraph
{
    private readonly ModelConfig _c;
    private readonly V41Config _view;
    private readonly Tensor _embed, _head;                // frozen main-model tensors [vocab, dim]
    private readonly Tensor _mainProj, _mainNorm, _norm;  // [dim, n*dim], [dim], [dim]
    private readonly Tensor _markovW1, _markovW2, _confidence;   // [vocab, rank] x2, [1, dim + rank]
    private readonly DSparkStageGraph[] _stages;

    public ParameterSet Parameters { get; }
    public IReadOnlyList<MoeGraph> Moes => _stages.Select(s => s.Ffn).ToArray();

    /// <param name="p">The draft parameters (config = DSparkV4.DraftBase of the main config's view).</param>
    /// <param name="main">The main model's config (with its DSpark keys).</param>
    public DSparkGraph(ParameterSet p, ModelConfig main, Tensor embed, Tensor head)
    {
        Parameters = p;
        _c = main;
        _view = DSparkV4.View(main);
        _embed = embed; _head = head;
        var d = main.DSpark!;
        ParameterScope all = ParameterScope.Root(p), root = all.Scope(d.Prefix);
        _stages = new DSparkStageGraph[d.Stages];
        Tensor? mp = null, mn = null, nm = null, w1 = null, w2 = null, cf = null;
        for (int s = 0; s < d.Stages; s++)
        {
            ParameterScope scope = root.Scope(s);
            _stages[s] = new DSparkStageGraph(scope, _view, main.NumLayers + s);
            if (s == 0)
            {
                mp = scope.Linear("main_proj", main.Dim, main.Dim * d.Head.TargetLayerIds.Count, LinearKind.Dense);
                mn = scope.Norm("main_norm", main.Dim);
            }
            if (s == d.Stages - 1)
            {
                nm = scope.Norm("norm", main.Dim);
                ParameterScope markov = scope.Scope("markov_head");
                w1 = markov.Linear(DSparkStageWeights<float>.Names0731.Embed, main.VocabSize, d.Head.MarkovRank, LinearKind.Bf16);
                w2 = markov.Linear(DSparkStageWeights<float>.Names0731.Head, main.VocabSize, d.Head.MarkovRank, LinearKind.Bf16);
                cf = scope.Scope("confidence_head").Linear("proj", 1, main.Dim + d.Head.MarkovRank, LinearKind.Bf16);
            }
        }
        _mainProj = mp!; _mainNorm = mn!; _norm = nm!; _markovW1 = w1!; _markovW2 = w2!; _confidence = cf!;
        all.CheckAllBound();
    }

    /// <summary>Draft logits [rows with a target, vocab] (base + Markov) and those rows' targets.</summary>
    public (Tensor Logits, int[] Targets) Logits(Tape tape, DraftBatch b)
    {
        float eps = (float)_c.NormEps;
        int hc = _c.HcMult, n = b.Rows, targets = _view.DSpark.TargetLayerIds.Count;
        // 1. main_x = main_norm(main_proj(main_hidden))                           [M, dim]
        Tensor mh = Tensor.Constant(b.MainHidden, b.MainPositions.Length, targets * _c.Dim);
        Tensor mainX = tape.RmsNorm(tape.Linear(mh, _mainProj), _mainNorm, eps);
        // 2. block rows: embed (frozen) -> hc copies; identity pre-mix              [A*B, hc*dim], [A*B, hc]
        Tensor h = tape.Repeat(tape.Embedding(_embed, b.BlockIds), hc);
        var identity = new float[n * hc];
        for (int r = 0; r < n; r++) identity[r * hc] = 1f;
        Tensor preMix = Tensor.Constant(identity, n, hc);
        long[] positions = new long[n];
        for (int r = 0; r < n; r++) positions[r] = b.BlockStart[r / b.Spans.BlockSize] + r % b.Spans.BlockSize;
        // 3. stages                                                                [A*B, hc*dim]
        foreach (DSparkStageGraph s in _stages) (h, preMix) = s.Forward(tape, h, preMix, mainX, b, positions);
        // 4. rows with a target: collapse with the last pre-mix, norm, frozen head + Markov bias   [R, vocab]
        var rows = new List<int>();
        for (int r = 0; r < n; r++) if (b.Targets[r] >= 0) rows.Add(r);
        int[] idx = rows.ToArray();
        Tensor y = tape.RmsNorm(tape.Collapse(tape.GatherRows(h, idx), tape.GatherRows(preMix, idx)), _norm, eps);
        Tensor logits = tape.Linear(y, _head);
        Tensor bias = tape.Linear(tape.Embedding(_markovW1, idx.Select(r => b.Previous[r]).ToArray()), _markovW2);
        return (tape.Add(logits, bias), idx.Select(r => b.Targets[r]).ToArray());
    }

    /// <summary>Mean cross-entropy over the rows with a target, and how many of them the draft's argmax gets right.</summary>
    public (Tensor Loss, int Correct, int Rows) Loss(Tape tape, DraftBatch b)
    {
        foreach (MoeGraph m in Moes) m.ClearLoads();
        var (logits, targets) = Logits(tape, b);
        int correct = 0, v = logits.Cols;
        for (int r = 0; r < targets.Length; r++)
        {
            ReadOnlySpan<float> row = logits.Data.AsSpan(r * v, v);
            int best = 0;
            for (int j = 1; j < v; j++) if (row[j] > row[best]) best = j;
            if (best == targets[r]) correct++;
        }
        return (tape.CrossEntropy(logits, targets), correct, targets.Length);
    }
}

/// <summary>One DSpark stage: a V4.1 block (single-pass mHC) whose attention reads the main-model window rows.</summary>
public sealed class DSparkStageGraph
{
    private readonly V41Config _c;
    private readonly RopeTable<float> _rope;
    private readonly Tensor _sink, _wqA, _qNorm, _wqB, _wkv, _kvNorm, _woA, _woB, _attnNorm, _ffnNorm;
    private readonly HyperGraph _hcAttn, _hcFfn;

    public MoeGraph Ffn { get; }

    public DSparkStageGraph(ParameterScope scope, V41Config c, int layer)
    {
        _c = c;
        var b = c.Base;
        int H = b.NumHeads, D = b.HeadDim;
        _rope = new RopeTable<float>(c.RopeFor(c.Ratio(layer)));
        ParameterScope attn = scope.Scope("attn");
        _sink = attn.Vector("attn_sink", DType.F32, H).Value;
        _wqA = attn.Linear("wq_a", b.QLoraRank, b.Dim, LinearKind.Dense);
        _qNorm = attn.Norm("q_norm", b.QLoraRank);
        _wqB = attn.Linear("wq_b", H * D, b.QLoraRank, LinearKind.Dense);
        _wkv = attn.Linear("wkv", D, b.Dim, LinearKind.Dense);
        _kvNorm = attn.Norm("kv_norm", D);
        _woA = attn.Linear("wo_a", b.OGroups * b.OLoraRank, H * D / b.OGroups, LinearKind.Bf16);
        _woB = attn.Linear("wo_b", b.Dim, b.OGroups * b.OLoraRank, LinearKind.Dense);
        Ffn = new MoeGraph(scope.Scope("ffn"), hash: false);
        _attnNorm = scope.Norm("attn_norm", b.Dim);
        _ffnNorm = scope.Norm("ffn_norm", b.Dim);
        _hcAttn = new HyperGraph(scope, "attn");
        _hcFfn = new HyperGraph(scope, "ffn");
    }

    /// <summary>h [A*B, hc*dim], preMix [A*B, hc] -> the stage's streams and its FFN pre-mix (V41Block.Forward).</summary>
    public (Tensor H, Tensor PreMix) Forward(Tape tape, Tensor h, Tensor preMix, Tensor mainX, DraftBatch b, long[] positions)
    {
        float eps = (float)_c.Base.NormEps;
        // 1. this stage's window rows: FP8(RoPE(kv_norm(wkv main_x))), V4 rule (nope part, blocks of 64)   [M, D]
        Tensor kvMain = KvRows(tape, mainX, b.MainPositions);
        // 2. attention site: mixes from h, input collapsed with the incoming pre-mix         [A*B, hc*dim]
        var (aPre, aPost, aComb) = _hcAttn.Coefficients(tape, h);
        Tensor x = tape.RmsNorm(tape.Collapse(h, preMix), _attnNorm, eps);
        h = tape.HcPost(Attention(tape, x, kvMain, b, positions), h, aPost, aComb);
        // 3. FFN site: mixes from h, input collapsed with the attention pre-mix              [A*B, hc*dim]
        var (fPre, fPost, fComb) = _hcFfn.Coefficients(tape, h);
        x = tape.RmsNorm(tape.Collapse(h, aPre), _ffnNorm, eps);
        h = tape.HcPost(Ffn.Forward(tape, x, b.BlockIds), h, fPost, fComb);
        return (h, fPre);
    }

    private Tensor KvRows(Tape tape, Tensor x, long[] positions)
    {
        var b = _c.Base;
        Tensor kv = tape.RmsNorm(tape.Linear(x, _wkv), _kvNorm, (float)b.NormEps);
        return tape.FakeQuantSte(tape.Rope(kv, b.HeadDim, _rope, positions), b.HeadDim, b.NopeHeadDim, 64, fp4: false);
    }

    // V41Attention.ForwardDSpark: q = RoPE(wq_b(q_norm(wq_a x))), block KV rows, sink attention over window + block, inverse RoPE, grouped output
    private Tensor Attention(Tape tape, Tensor x, Tensor kvMain, DraftBatch b, long[] positions)
    {
        var c = _c.Base;
        int H = c.NumHeads, D = c.HeadDim;
        Tensor q = tape.Rope(tape.Linear(tape.RmsNorm(tape.Linear(x, _wqA), _qNorm, (float)c.NormEps), _wqB), D, _rope, positions);
        Tensor kvBlock = KvRows(tape, x, positions);
        Tensor o = tape.DSparkAttention(q, kvMain, kvBlock, _sink, H, b.Spans);
        o = tape.Rope(o, D, _rope, positions, inverse: true);
        return tape.Linear(tape.GroupedLinear(o, _woA, c.OGroups), _woB);
    }
}
