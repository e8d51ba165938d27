// V4.1 lightning indexer of an index-source layer. A key owner (also a KV source) turns each new
// compressed latent into an index key: k = k_norm(wk latent), RoPE at the group's first position, FP4
// (ue8m0 per 32). Every index source scores the reachable compressed positions with the keys of the owner
// that published last (V41SequenceState.IndexKeyPublisher): s_j = sum_h relu(q_h . k_j) w_h with q = FP4(RoPE(wq_b qr)) and w = weights_proj(x) *
// index_head_dim^-0.5 * index_n_heads^-0.5; the candidate source publishes its block mask from these
// scores, later sources score only inside it; the top index_topk positions, in position order, are kept.
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.State.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41;

public sealed class V41Indexer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wqB;            // [ih * ihd, q_lora] FP8
    private readonly Linear _weightsProj;    // [ih, dim] BF16
    private readonly Linear? _wk;            // [ihd, head_dim] BF16 (key owners)
    private readonly RmsNorm<T>? _kNorm;     // [ihd]
    private readonly V41Config _c;
    private readonly int _layer, _ratio, _heads, _headDim, _rope;
    private readonly T _weightScale;

    public bool OwnsKeys => _wk is not null;

    public V41Indexer(WeightScope scope, V41Config c, int layer)
    {
        var b = c.Base;
        _c = c; _layer = layer; _ratio = c.Ratio(layer); _heads = b.IndexHeads; _headDim = b.IndexHeadDim; _rope = b.RopeHeadDim;
        _wqB = scope.Linear("wq_b", _heads * _headDim, b.QLoraRank, LinearKind.Dense);
        _weightsProj = scope.Linear("weights_proj", _heads, b.Dim, LinearKind.Bf16);
        if (c.OwnsIndexKeys(layer))
        {
            _wk = scope.Linear("wk", _headDim, b.HeadDim, LinearKind.Bf16);
            _kNorm = new RmsNorm<T>(scope, "k_norm", _headDim, b.NormEps);
        }
        _weightScale = T.One / T.Sqrt(T.CreateTruncating(_headDim)) / T.Sqrt(T.CreateTruncating(_heads));
    }

    /// <summary>Index key of the latent (pre-RoPE) of group <paramref name="group"/>, appended to the state.</summary>
    public void AddKey(ReadOnlySpan<T> latent, int group, RopeTable<T> rope, V41SequenceState<T> state)
    {
        // 1. k = k_norm(wk latent); RoPE at position group * ratio; FP4 per 32      [ihd]
        T[] k = new T[_headDim];
        _wk!.Forward(latent, k, 1);
        _kNorm!.ForwardInPlace(k);
        rope.Apply(k.AsSpan(_headDim - _rope), (long)group * _ratio);
        CodedRows keys = state.IndexKeys[_layer]!;
        if (keys.Count != group) throw new InvalidOperationException($"layer {_layer}: index keys {keys.Count} out of step with group {group}");
        V41RowFormats.EncodeKey<T>(k, keys.Append());   // FP4 per 32: storing is the fake quant
    }

    /// <summary>
    /// The chosen compressed positions of each token (ascending) and, at the candidate source, the
    /// published candidate masks. x [T, dim] is the attention input, qr [T, q_lora] the normed query latent.
    /// </summary>
    public int[][] Select(ReadOnlySpan<T> x, ReadOnlySpan<T> qr, long[] positions, V41SequenceState<T>[] states, RopeTable<T> rope, bool[]?[] candidates, int[]? publisher = null)
    {
        int tokens = positions.Length, ih = _heads, ihd = _headDim;
        // 1. q = FP4(RoPE(wq_b qr)) per head; w = weights_proj(x) * scale       [T, ih, ihd], [T, ih]
        T[] q = new T[tokens * ih * ihd], w = new T[tokens * ih];
        _wqB.Forward(qr, q, tokens);
        _weightsProj.Forward(x, w, tokens);
        var chosen = new int[tokens][];
        for (int t = 0; t < tokens; t++)
        {
            int reach = (int)((positions[t] + 1) / _ratio);
            if (reach == 0) { chosen[t] = []; continue; }
            Span<T> qt = q.AsSpan(t * ih * ihd, ih * ihd);
            for (int h = 0; h < ih; h++) rope.Apply(qt.Slice(h * ihd + ihd - _rope, _rope), positions[t]);
            FakeQuant.Fp4<T>(qt, 32);
            for (int h = 0; h < ih; h++) w[t * ih + h] *= _weightScale;
            // 2. scores over the reachable positions of the key owner's keys            [reach]
            int owner = publisher?[t] ?? states[t].IndexKeyPublisher;
            CodedRows keys = owner >= 0 ? states[t].IndexKeys[owner]! : throw new InvalidOperationException($"layer {_layer}: no index keys were published before position {positions[t]}");
            var s = new T[reach];
            T[] k = new T[ihd];
            for (int j = 0; j < reach; j++)
            {
                if (j >= keys.Count) { s[j] = T.Zero; continue; }   // the official shared slot holds zeros there
                V41RowFormats.DecodeKey<T>(keys.Row(j), k);
                T acc = T.Zero;
                for (int h = 0; h < ih; h++) acc += T.Max(Elementwise.Dot<T>(qt.Slice(h * ihd, ihd), k), T.Zero) * w[t * ih + h];
                s[j] = acc;
            }
            // 3. candidate pool: publish (source) or restrict to it (later sources)     [reach]
            if (_c.IsCandidateSource(_layer)) candidates[t] = CandidateBlocks.Select<T>(s, _c.Candidates.TopKBlocks, _c.Candidates.BlockSize);
            else if (_c.UsesCandidates(_layer))
            {
                bool[] keep = candidates[t] ?? throw new InvalidOperationException($"layer {_layer}: no candidate mask was published for position {positions[t]}");
                for (int j = 0; j < reach; j++) if (!keep[j]) s[j] = T.NegativeInfinity;
            }
            // 4. top index_topk finite scores, in position order                         [<= K]
            chosen[t] = Enumerable.Range(0, reach).Where(j => !T.IsNegativeInfinity(s[j])).OrderByDescending(j => s[j]).ThenBy(j => j)
                .Take(Math.Min(_c.Base.IndexTopK, reach)).OrderBy(j => j).ToArray();
        }
        return chosen;
    }
}
