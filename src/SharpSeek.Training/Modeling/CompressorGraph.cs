// The KV compressor and the lightning indexer in the training graph, as Compressor and Indexer
// compute them at inference, with their tensors bound through the same WeightScope construction
// (compressor.ape/norm/wgate/wkv, indexer.wq_b/weights_proj/compressor.*). Entries: pooled rows
// (the shared SoftmaxPool kernel), norm, RoPE at each block's first position, then FP8 (attention)
// or Hadamard + FP4 (indexer keys). Indexer scores: sum_h w_h ReLU(q_h . k_j) over visible entries.
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Modeling;

public sealed class CompressorGraph
{
    private readonly ModelConfig _c;
    private readonly RopeTable<float> _rope;
    private readonly Tensor _ape, _norm, _wgate, _wkv;   // [r, W], [hd], [W, dim], [W, dim]
    private readonly int _ratio, _headDim;
    private readonly bool _rotate;

    /// <param name="rotate">Indexer keys: Hadamard rotation and FP4 instead of FP8.</param>
    // Indexed-ratio compressors pool two overlapping blocks, as the inference Compressor (ModelConfig.KindOfRatio).
    private static bool Overlapping(int ratio) => ModelConfig.KindOfRatio(ratio) == AttentionKind.Indexed;

    public CompressorGraph(ParameterScope scope, int ratio, int headDim, bool rotate, RopeTable<float> rope)
    {
        var c = _c = scope.Config;
        _ratio = ratio; _headDim = headDim; _rotate = rotate; _rope = rope;
        int width = (Overlapping(ratio) ? 2 : 1) * headDim;
        _ape = scope.Vector("ape", DType.F32, ratio, width).Value;
        _norm = scope.Norm("norm", headDim);
        _wgate = scope.Linear("wgate", width, c.Dim, LinearKind.Bf16);
        _wkv = scope.Linear("wkv", width, c.Dim, LinearKind.Bf16);
    }

    /// <summary>x [B*T, dim] -> compressed entries [B*(T/r), hd], quantised as the memory stores them.</summary>
    public Tensor Forward(Tape tape, Tensor x, int batch, int seqLen)
    {
        int ratio = _ratio, hd = _headDim, M = seqLen / ratio;
        // 1. rows a = wkv x, scores s = wgate x + ape[pos mod r]; pool per channel     [B*M, hd]
        Tensor a = tape.Linear(x, _wkv);
        Tensor s = tape.AddPositional(tape.Linear(x, _wgate), _ape, seqLen, ratio);
        Tensor c = tape.CompressorPool(a, s, batch, seqLen, ratio, hd, overlap: Overlapping(ratio));
        // 2. norm, RoPE at the block's first position
        c = tape.RmsNorm(c, _norm, (float)_c.NormEps);
        long[] first = new long[c.Rows];
        for (int e = 0; e < c.Rows; e++) first[e] = (long)(e % M) * ratio;
        c = tape.Rope(c, hd, _rope, first);
        // 3. FP8 of the nope part (attention) or Hadamard + FP4 of all (indexer keys)
        if (!_rotate) return tape.FakeQuantSte(c, hd, hd - _c.RopeHeadDim, 64, fp4: false);
        c = tape.Hadamard(c, hd, 1f / MathF.Sqrt(hd));
        return tape.FakeQuantSte(c, hd, hd, 32, fp4: true);
    }
}

public sealed class IndexerGraph
{
    private readonly ModelConfig _c;
    private readonly RopeTable<float> _rope;
    private readonly Tensor _wqB, _weightsProj;   // [ih*id, q_lora], [ih, dim]
    private readonly CompressorGraph _compressor;

    public IndexerGraph(ParameterScope scope, RopeTable<float> rope)
    {
        var c = _c = scope.Config;
        _rope = rope;
        _wqB = scope.Linear("wq_b", c.IndexHeads * c.IndexHeadDim, c.QLoraRank, LinearKind.Dense);
        _weightsProj = scope.Linear("weights_proj", c.IndexHeads, c.Dim, LinearKind.Bf16);
        _compressor = new CompressorGraph(scope.Scope("compressor"), 4, c.IndexHeadDim, rotate: true, rope);
    }

    /// <summary>Scores [B*T, M] of every compressed entry for every query (-inf where not yet visible); keys [B*M, id].</summary>
    public Tensor Scores(Tape tape, Tensor qr, Tensor x, int batch, int seqLen, out Tensor keys)
    {
        int ih = _c.IndexHeads, id = _c.IndexHeadDim, N = x.Rows;
        long[] pos = new long[N];
        for (int r = 0; r < N; r++) pos[r] = r % seqLen;
        // 1. queries: RoPE, Hadamard, FP4; head weights * id^-0.5 * ih^-0.5      [N, ih*id], [N, ih]
        Tensor iq = tape.Rope(tape.Linear(qr, _wqB), id, _rope, pos);
        iq = tape.FakeQuantSte(tape.Hadamard(iq, id, 1f / MathF.Sqrt(id)), iq.Length, iq.Length, 32, fp4: true);
        Tensor iw = tape.Scale(tape.Linear(x, _weightsProj), 1f / MathF.Sqrt(id) / MathF.Sqrt(ih));
        // 2. keys from the indexer's own compressor, 3. scores
        Tensor ik = keys = _compressor.Forward(tape, x, batch, seqLen);
        return tape.IndexerScores(iq.View(N, ih * id), iw, ik, batch, seqLen, 4);
    }
}
