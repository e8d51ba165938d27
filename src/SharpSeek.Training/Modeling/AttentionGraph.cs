// V4 attention in the training graph, step for step as Attention/Compressor/Indexer compute it at
// inference (the equality test pins this), with its tensors bound through the same WeightScope
// construction: low-rank q with per-head norm and RoPE, one shared KV row per token (FP8 fake
// quant of its nope part), compressed entries (ratio 4 overlapping, ratio r plain), the lightning
// indexer's top-k for ratio 4 (the inference TopKSelect kernel), sink attention, inverse RoPE and
// the grouped low-rank output. The indexer sees detached inputs and learns only from its KL loss.
// Taps (optional, named as the inference taps): attn_kv, cmp_kv, idx_cmp_kv, indexed by row.
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class AttentionGraph
{
    private readonly ModelConfig _c;
    private readonly RopeTable<float> _rope;
    private readonly Tensor _sink;                     // [H]
    private readonly Tensor _wqA, _qNorm, _wqB;        // [q_lora, dim], [q_lora], [H*D, q_lora]
    private readonly Tensor _wkv, _kvNorm;             // [D, dim], [D]
    private readonly Tensor _woA, _woB;                // [G*o_lora, H*D/G], [dim, G*o_lora]
    private readonly CompressorGraph? _compressor;
    private readonly IndexerGraph? _indexer;
    private readonly int _layer;

    public int Ratio { get; }

    public AttentionGraph(ParameterScope scope, int layer, int ratio)
    {
        var c = _c = scope.Config;
        _layer = layer; Ratio = ratio;
        int H = c.NumHeads, D = c.HeadDim;
        _rope = new RopeTable<float>(c.RopeFor(ratio));
        _sink = scope.Vector("attn_sink", DType.F32, H).Value;
        _wqA = scope.Linear("wq_a", c.QLoraRank, c.Dim, LinearKind.Dense);
        _qNorm = scope.Norm("q_norm", c.QLoraRank);
        _wqB = scope.Linear("wq_b", H * D, c.QLoraRank, LinearKind.Dense);
        _wkv = scope.Linear("wkv", D, c.Dim, LinearKind.Dense);
        _kvNorm = scope.Norm("kv_norm", D);
        _woA = scope.Linear("wo_a", c.OGroups * c.OLoraRank, H * D / c.OGroups, LinearKind.Dense);
        _woB = scope.Linear("wo_b", c.Dim, c.OGroups * c.OLoraRank, LinearKind.Dense);
        if (ratio > 0)
        {
            _compressor = new CompressorGraph(scope.Scope("compressor"), ratio, D, rotate: false, _rope);
            if (ModelConfig.KindOfRatio(ratio) == AttentionKind.Indexed) _indexer = new IndexerGraph(scope.Scope("indexer"), _rope);
        }
    }

    /// <summary>
    /// x [B*T, dim] -> y [B*T, dim]; adds the indexer KL loss (if any) to <paramref name="aux"/>. Taps record
    /// the quantised KV rows, compressed entries and index keys by row (the position / entry when B = 1).
    /// </summary>
    public Tensor Forward(Tape tape, Tensor x, int batch, int seqLen, List<Tensor> aux, ITapSink<float>? taps = null)
    {
        int H = _c.NumHeads, D = _c.HeadDim, nope = _c.NopeHeadDim, N = x.Rows;
        float eps = (float)_c.NormEps;
        long[] pos = new long[N];
        for (int r = 0; r < N; r++) pos[r] = r % seqLen;
        // 1. q = wq_b(q_norm(wq_a x)), per-head rsqrt norm, RoPE               [N, H*D]
        Tensor qr = tape.RmsNorm(tape.Linear(x, _wqA), _qNorm, eps);
        Tensor q = tape.Linear(qr, _wqB);
        q = tape.RmsNorm(q.View(N * H, D), null, eps).View(N, H * D);
        q = tape.Rope(q, D, _rope, pos);
        // 2. kv = kv_norm(wkv x), RoPE, FP8 fake quant of the nope part          [N, D]
        Tensor kv = tape.RmsNorm(tape.Linear(x, _wkv), _kvNorm, eps);
        kv = tape.FakeQuantSte(tape.Rope(kv, D, _rope, pos), D, nope, 64, fp4: false);
        Tap(taps, "attn_kv", kv);
        // 3. compressed entries and the indexer's choice                        [B*M, D]
        Tensor? cmp = null;
        int[][]? chosen = null;
        float[][]? target = null;
        Tensor? scores = null;
        if (_compressor is not null)
        {
            cmp = _compressor.Forward(tape, x, batch, seqLen);
            Tap(taps, "cmp_kv", cmp);
            int M = seqLen / Ratio;
            chosen = new int[N][];
            if (_indexer is not null)
            {
                scores = _indexer.Scores(tape, qr.Detach(), x.Detach(), batch, seqLen, out Tensor keys);
                Tap(taps, "idx_cmp_kv", keys);
                int topK = _c.IndexTopK;
                for (int r = 0; r < N; r++)
                {
                    int visible = (r % seqLen + 1) / Ratio, n = Math.Min(topK, visible);
                    chosen[r] = new int[n];
                    if (n > 0) Elementwise.TopK<float>(scores.Data.AsSpan(r * M, visible), n, chosen[r]);
                }
                target = new float[N][];
            }
            else
                for (int r = 0; r < N; r++) chosen[r] = Enumerable.Range(0, (r % seqLen + 1) / Ratio).ToArray();
        }
        // 4. sink attention over window + chosen entries                        [N, H*D]
        var shape = new AttentionShape(batch, seqLen, H, D, _c.WindowSize, Ratio);
        Tensor o = tape.SinkAttention(q, kv, cmp, _sink, shape, chosen, target);
        if (scores is not null && target is not null && scores.RequiresGrad) aux.Add(tape.IndexerKl(scores, target));
        // 5. inverse RoPE, grouped low-rank output                              [N, dim]
        o = tape.Rope(o, D, _rope, pos, inverse: true);
        Tensor u = tape.GroupedLinear(o, _woA, _c.OGroups);
        return tape.Linear(u, _woB);
    }

    private void Tap(ITapSink<float>? taps, string name, Tensor t)
    {
        if (!(taps?.Wants(_layer) ?? false)) return;
        for (int r = 0; r < t.Rows; r++) taps.Record(_layer, name, r, t.Data.AsSpan(r * t.Cols, t.Cols));
    }
}
