// V4 attention in the training graph, step for step as Attention/Compressor/Indexer compute it at
// inference (the equality test pins this): low-rank q with per-head norm and RoPE, one shared
// KV row per token (FP8 fake quant of its nope part), compressed entries (ratio 4 overlapping,
// ratio r plain), the lightning indexer's top-k for ratio 4, sink attention, inverse RoPE and the
// grouped low-rank output. The indexer sees detached inputs and learns only from its KL loss.
using SharpSeek.Model.Config;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class AttentionGraph
{
    private readonly ParameterSet _p;
    private readonly ModelConfig _c;
    private readonly RopeTable<float> _rope;
    private readonly string _s;
    public int Ratio { get; }

    public AttentionGraph(ParameterSet p, ModelConfig c, string scope, int ratio)
    {
        _p = p; _c = c; _s = scope; Ratio = ratio;
        var rs = c.RopeScaling;
        _rope = ratio > 0
            ? new RopeTable<float>(new RopeParameters(c.RopeHeadDim, c.CompressRopeTheta, c.UsesYarn, rs?.Factor ?? 1, rs?.OriginalMaxPositions ?? 0, rs?.BetaFast ?? 32, rs?.BetaSlow ?? 1))
            : new RopeTable<float>(new RopeParameters(c.RopeHeadDim, c.RopeTheta, false, 1, 0, 0, 0));
    }

    private Tensor W(string n) => _p[_s + n].Value;

    /// <summary>x [B*T, dim] -> y [B*T, dim]; adds the indexer KL loss (if any) to <paramref name="aux"/>.</summary>
    public Tensor Forward(Tape tape, Tensor x, int batch, int seqLen, List<Tensor> aux)
    {
        int H = _c.NumHeads, D = _c.HeadDim, nope = _c.NopeHeadDim, N = x.Rows;
        float eps = (float)_c.NormEps;
        long[] pos = new long[N];
        for (int r = 0; r < N; r++) pos[r] = r % seqLen;
        // 1. q = wq_b(q_norm(wq_a x)), per-head rsqrt norm, RoPE               [N, H*D]
        Tensor qr = tape.RmsNorm(tape.Linear(x, W("wq_a.weight")), W("q_norm.weight"), eps);
        Tensor q = tape.Linear(qr, W("wq_b.weight"));
        q = tape.RmsNorm(q.View(N * H, D), null, eps).View(N, H * D);
        q = tape.Rope(q, D, _rope, pos);
        // 2. kv = kv_norm(wkv x), RoPE, FP8 fake quant of the nope part          [N, D]
        Tensor kv = tape.RmsNorm(tape.Linear(x, W("wkv.weight")), W("kv_norm.weight"), eps);
        kv = tape.FakeQuantSte(tape.Rope(kv, D, _rope, pos), D, nope, 64, fp4: false);
        // 3. compressed entries and the indexer's choice                        [B*M, D]
        Tensor? cmp = null;
        int[][]? chosen = null;
        float[][]? target = null;
        Tensor? scores = null;
        if (Ratio > 0)
        {
            cmp = Compress(tape, x, batch, seqLen, "compressor.", D, rotate: false);
            int M = seqLen / Ratio;
            chosen = new int[N][];
            if (Ratio == 4)
            {
                scores = IndexerScores(tape, qr.Detach(), x.Detach(), batch, seqLen);
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
        Tensor o = tape.SinkAttention(q, kv, cmp, W("attn_sink"), shape, chosen, target);
        if (scores is not null && target is not null && scores.RequiresGrad) aux.Add(tape.IndexerKl(scores, target));
        // 5. inverse RoPE, grouped low-rank output                              [N, dim]
        o = tape.Rope(o, D, _rope, pos, inverse: true);
        Tensor u = tape.GroupedLinear(o, W("wo_a.weight"), _c.OGroups);
        return tape.Linear(u, W("wo_b.weight"));
    }

    /// <summary>Compressor: pooled entries, norm, RoPE at each block's first position, then FP8 (or Hadamard + FP4).</summary>
    private Tensor Compress(Tape tape, Tensor x, int batch, int seqLen, string scope, int hd, bool rotate)
    {
        int ratio = rotate ? 4 : Ratio, M = seqLen / ratio;
        Tensor a = tape.Linear(x, W(scope + "wkv.weight"));
        Tensor s = tape.AddPositional(tape.Linear(x, W(scope + "wgate.weight")), W(scope + "ape"), seqLen, ratio);
        Tensor c = tape.CompressorPool(a, s, batch, seqLen, ratio, hd, overlap: ratio == 4);
        c = tape.RmsNorm(c, W(scope + "norm.weight"), (float)_c.NormEps);
        long[] first = new long[c.Rows];
        for (int e = 0; e < c.Rows; e++) first[e] = (long)(e % M) * ratio;
        c = tape.Rope(c, hd, _rope, first);
        if (!rotate) return tape.FakeQuantSte(c, hd, hd - _c.RopeHeadDim, 64, fp4: false);
        c = tape.Hadamard(c, hd, 1f / MathF.Sqrt(hd));
        return tape.FakeQuantSte(c, hd, hd, 32, fp4: true);
    }

    private Tensor IndexerScores(Tape tape, Tensor qr, Tensor x, int batch, int seqLen)
    {
        int ih = _c.IndexHeads, id = _c.IndexHeadDim, N = x.Rows;
        long[] pos = new long[N];
        for (int r = 0; r < N; r++) pos[r] = r % seqLen;
        Tensor iq = tape.Rope(tape.Linear(qr, W("indexer.wq_b.weight")), id, _rope, pos);
        iq = tape.FakeQuantSte(tape.Hadamard(iq, id, 1f / MathF.Sqrt(id)), iq.Length, iq.Length, 32, fp4: true);
        Tensor iw = tape.Scale(tape.Linear(x, W("indexer.weights_proj.weight")), 1f / MathF.Sqrt(id) / MathF.Sqrt(ih));
        Tensor ik = Compress(tape, x, batch, seqLen, "indexer.compressor.", id, rotate: true);
        return tape.IndexerScores(iq.View(N, ih * id), iw, ik, batch, seqLen, 4);
    }
}
