// The lightning indexer of Indexed layers (ratio 4): scores every visible compressed entry for a query,
// score_j = sum_h w_h * ReLU(q_h . k_j), and keeps the top index_topk. Queries come from the
// attention's low-rank qr (RoPE, Hadamard, FP4 fake quant); keys from its own compressor.
using System.Numerics;
using System.Runtime.CompilerServices;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Indexer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wqB;          // [ih*id, q_lora] FP8
    private readonly Linear _weightsProj;  // [ih, dim] BF16
    private readonly RopeTable<T> _rope;
    private readonly int _heads, _headDim, _ropeDim;
    private readonly T _weightScale;

    public Compressor<T> Compressor { get; }
    public int TopK { get; }

    public Indexer(WeightScope scope, RopeTable<T> rope)
    {
        var c = scope.Config;
        _heads = c.IndexHeads; _headDim = c.IndexHeadDim; _ropeDim = c.RopeHeadDim; TopK = c.IndexTopK; _rope = rope;
        _wqB = scope.Linear("wq_b", _heads * _headDim, c.QLoraRank, LinearKind.Dense);
        _weightsProj = scope.Linear("weights_proj", _heads, c.Dim, LinearKind.Bf16);
        Compressor = new Compressor<T>(scope.Scope("compressor"), ModelConfig.IndexedRatio, _headDim, rotate: true, rope);
        _weightScale = T.One / T.Sqrt(T.CreateTruncating(_headDim)) / T.Sqrt(T.CreateTruncating(_heads));
    }

    public int QueryWidth => _heads * _headDim;
    public int Heads => _heads;

    /// <summary>
    /// Index queries iq [T, ih*id] from qr [T, q_lora] (RoPE on each head's last rope dims, Hadamard,
    /// FP4 fake quant in blocks of 32) and head weights iw [T, ih] = weights_proj(x) * id^-0.5 * ih^-0.5.
    /// </summary>
    public void Queries(ReadOnlySpan<T> qr, ReadOnlySpan<T> x, ReadOnlySpan<long> positions, Span<T> iq, Span<T> iw)
    {
        int tokens = positions.Length;
        _wqB.Forward(qr, iq, tokens);
        _weightsProj.Forward(x, iw, tokens);
        FinishQueries(positions, iq, iw);
    }

    /// <summary>The products of Queries (a decode step runs them in one region with the layer's others).</summary>
    public Linear WqB => _wqB;
    public Linear WeightsProj => _weightsProj;

    /// <summary>Queries after its products: iq = wq_b qr gets RoPE, Hadamard and FP4; iw = weights_proj x its scale.</summary>
    public void FinishQueries(ReadOnlySpan<long> positions, Span<T> iq, Span<T> iw)
    {
        int tokens = positions.Length;
        T hScale = T.One / T.Sqrt(T.CreateTruncating(_headDim));
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < _heads; h++)
            {
                Span<T> q = iq.Slice((t * _heads + h) * _headDim, _headDim);
                _rope.Apply(q.Slice(_headDim - _ropeDim, _ropeDim), positions[t]);
                Elementwise.Hadamard(q, hScale);
            }
        FakeQuant.Fp4(iq[..(tokens * QueryWidth)], 32);
        for (int i = 0; i < tokens * _heads; i++) iw[i] *= _weightScale;
    }

    /// <summary>
    /// The picks of Q = visible.Length consecutive query tokens of one sequence (visible[t] non-decreasing: token t
    /// sees the first visible[t] index keys of <paramref name="memory"/>): iq [Q, ih*id], iw [Q, ih]. Token t's
    /// chosen entries (top min(TopK, visible[t]), best first) go to chosen[t * chosenStride ..], its scores to
    /// scores[t * stride .. + visible[t]]. keys [visible[Q-1], id]: scratch for the decoded keys. Unless
    /// <paramref name="scoreAll"/>, a token that sees at most TopK entries picks all of them in entry order
    /// without being scored (the set is the same: attention reads it in entry order).
    /// </summary>
    public unsafe void SelectMany(ReadOnlySpan<T> iq, ReadOnlySpan<T> iw, IAttentionMemory<T> memory, ReadOnlySpan<int> visible,
        Span<T> keys, Span<T> scores, int stride, Span<int> chosen, int chosenStride, bool scoreAll)
    {
        int queries = visible.Length, qw = QueryWidth;
        if (queries == 0) return;
        // 1. tokens [0, first) pick every visible entry; the rest are scored
        int first = 0;
        if (!scoreAll)
            while (first < queries && visible[first] <= TopK)
            {
                Span<int> row = chosen.Slice(first * chosenStride, visible[first]);
                for (int j = 0; j < row.Length; j++) row[j] = j;
                first++;
            }
        if (first == queries) return;
        int n = visible[queries - 1], chunks = (n + KeyChunk - 1) / KeyChunk;
        bool team = typeof(T) == typeof(float);
        fixed (T* q = iq, w = iw, k = keys, s = scores)
        fixed (int* v = visible, c = chosen)
        {
            var job = new SelectJob
            {
                Self = this, Memory = memory, Q = q + (long)first * qw, W = w + (long)first * _heads, Keys = k, Scores = s + (long)first * stride,
                Visible = v + first, Queries = queries - first, Stride = stride, Chosen = c + (long)first * chosenStride, ChosenStride = chosenStride,
            };
            // 2. key chunks decoded and scored for every token that sees them (the chunks on the worker team)  [Q, n]
            if (team && chunks > 1) WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &ScoreChunk);   // job lives on this frame until Run returns
            else for (int i = 0; i < chunks; i++) ScoreChunk(Unsafe.AsPointer(ref job), i);
            // 3. each token's top-k of its own scores                                                       [Q, k]
            if (team && job.Queries > 1) WorkerTeam.Shared.Run(job.Queries, Unsafe.AsPointer(ref job), &TopKOf);
            else for (int t = 0; t < job.Queries; t++) TopKOf(Unsafe.AsPointer(ref job), t);
        }
    }

    /// <summary>Index keys decoded and scored per work item (128 KB of decoded float keys, in L2; each item transposes its queries once).</summary>
    private const int KeyChunk = 256;

    private unsafe struct SelectJob
    {
        public Indexer<T> Self;
        public IAttentionMemory<T> Memory;
        public T* Q, W, Keys, Scores;
        public int* Visible, Chosen;
        public int Queries, Stride, ChosenStride;
    }

    /// <summary>Decodes keys [c * KeyChunk, ..) and scores them for every query that sees any of them.</summary>
    private static unsafe void ScoreChunk(void* state, int c)
    {
        ref SelectJob j = ref Unsafe.AsRef<SelectJob>(state);
        Indexer<T> self = j.Self;
        int d = self._headDim, j0 = c * KeyChunk, n = Math.Min(KeyChunk, j.Visible[j.Queries - 1] - j0);
        var keys = new Span<T>(j.Keys + (long)j0 * d, n * d);
        for (int i = 0; i < n; i++) j.Memory.ReadIndexKey(j0 + i, keys.Slice(i * d, d));
        // Queries are in visibility order: skip those that see none of this chunk.
        int t0 = 0;
        while (j.Visible[t0] <= j0) t0++;
        int queries = j.Queries - t0;
        Span<int> counts = queries <= 256 ? stackalloc int[queries] : new int[queries];
        for (int t = 0; t < queries; t++) counts[t] = Math.Min(n, j.Visible[t0 + t] - j0);
        int qw = self.QueryWidth, h = self._heads;
        IndexScoreBlock.Score<T>(new ReadOnlySpan<T>(j.Q + (long)t0 * qw, queries * qw), new ReadOnlySpan<T>(j.W + (long)t0 * h, queries * h), h,
            keys, d, counts, new Span<T>(j.Scores + (long)t0 * j.Stride + j0, (queries - 1) * j.Stride + n), j.Stride);
    }

    private static unsafe void TopKOf(void* state, int t)
    {
        ref SelectJob j = ref Unsafe.AsRef<SelectJob>(state);
        int visible = j.Visible[t], top = Math.Min(j.Self.TopK, visible);
        TopKSelect.Select(new ReadOnlySpan<T>(j.Scores + (long)t * j.Stride, visible), top, new Span<int>(j.Chosen + (long)t * j.ChosenStride, top));
    }
}
