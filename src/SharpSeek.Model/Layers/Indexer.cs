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
        T hScale = T.One / T.Sqrt(T.CreateTruncating(_headDim));
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < _heads; h++)
            {
                Span<T> q = iq.Slice((t * _heads + h) * _headDim, _headDim);
                _rope.Apply(q.Slice(_headDim - _ropeDim, _ropeDim), positions[t]);
                Elementwise.Hadamard(q, hScale);
            }
        FakeQuant.Fp4(iq[..(tokens * QueryWidth)], 32);
        _weightsProj.Forward(x, iw, tokens);
        for (int i = 0; i < tokens * _heads; i++) iw[i] *= _weightScale;
    }

    /// <summary>
    /// Scores the <paramref name="visible"/> first index keys of <paramref name="memory"/> for one query into
    /// scores, and writes the chosen entry ids (top min(TopK, visible), best first) into chosen; returns how many.
    /// </summary>
    public unsafe int Select(ReadOnlySpan<T> iq, ReadOnlySpan<T> iw, IAttentionMemory<T> memory, int visible, Span<T> scores, Span<int> chosen)
    {
        // Keys decoded a chunk at a time, then scored four keys by four heads (the same sums as one by
        // one); with many entries (long context) the chunks are spread over the worker team.
        int chunks = (visible + KeyChunk - 1) / KeyChunk;
        if (chunks >= 4 && typeof(T) == typeof(float))
        {
            fixed (T* q = iq, w = iw, s = scores)
            {
                var job = new ScoreJob { Self = this, Memory = memory, Q = q, W = w, Scores = s, Visible = visible };
                WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &ScoreChunk);   // job lives on this frame until Run returns
            }
        }
        else
            for (int c = 0; c < chunks; c++) ScoreRange(iq, iw, memory, c * KeyChunk, Math.Min(KeyChunk, visible - c * KeyChunk), scores);
        int top = Math.Min(TopK, visible);
        Elementwise.TopK(scores[..visible], top, chosen);
        return top;
    }

    /// <summary>Index keys decoded per scoring pass: 64 x 128 floats = 32 KB of stack.</summary>
    private const int KeyChunk = 64;

    /// <summary>scores[j0 .. j0 + n) of the entries j0.. (sum_h w_h relu(q_h . k)).</summary>
    private void ScoreRange(ReadOnlySpan<T> iq, ReadOnlySpan<T> iw, IAttentionMemory<T> memory, int j0, int n, Span<T> scores)
    {
        Span<T> keys = stackalloc T[KeyChunk * _headDim];
        for (int j = 0; j < n; j++) memory.ReadIndexKey(j0 + j, keys.Slice(j * _headDim, _headDim));
        IndexScore.ScoreMany(iq[..(_heads * _headDim)], iw[.._heads], keys[..(n * _headDim)], _headDim, scores.Slice(j0, n));
    }

    private unsafe struct ScoreJob
    {
        public Indexer<T> Self;
        public IAttentionMemory<T> Memory;
        public T* Q, W, Scores;
        public int Visible;
    }

    private static unsafe void ScoreChunk(void* state, int c)
    {
        ref ScoreJob j = ref Unsafe.AsRef<ScoreJob>(state);
        Indexer<T> self = j.Self;
        int j0 = c * KeyChunk;
        self.ScoreRange(new ReadOnlySpan<T>(j.Q, self._heads * self._headDim), new ReadOnlySpan<T>(j.W, self._heads), j.Memory,
            j0, Math.Min(KeyChunk, j.Visible - j0), new Span<T>(j.Scores, j.Visible));
    }
}
