// MoE router. Scores s = score_func(x W^T) in T (sqrt-softplus, sigmoid or softmax); hash layers
// take their experts from tid2eid[token], the others the top-k of s + bias (the bias steers the
// choice only). Weights = s[chosen] / sum (not for softmax; V4.1: not for a single expert either,
// its norm_topk_prob applies only when k > 1) * route_scale.
using System.Numerics;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class MoeGate<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _weight;      // [E, dim] BF16
    private readonly T[]? _bias;          // [E] (score-routed layers)
    private readonly T[]? _biasVl;        // [E] V4.1 image-span selection bias (bias_vl), when the model has vision
    private readonly int[]? _tid2eid;     // [vocab, k] (hash layers)
    private readonly ScoringFunction _func;
    private readonly T _routeScale;
    private readonly bool _normalize;

    public int Experts { get; }
    public int TopK { get; }
    public bool IsHash => _tid2eid is not null;

    /// <param name="normalizeSingle">false: a single routed expert keeps its raw score (V4.1's norm_topk_prob rule, k > 1 only).</param>
    public MoeGate(WeightScope scope, bool hash, bool imageBias = false, bool normalizeSingle = true)
    {
        var c = scope.Config;
        Experts = c.NumRoutedExperts; TopK = c.NumActivatedExperts; _func = c.ScoreFunc;
        _normalize = c.ScoreFunc != ScoringFunction.Softmax && (TopK > 1 || normalizeSingle);
        _routeScale = T.CreateTruncating(c.RouteScale);
        _weight = scope.RawMatrix("weight", Experts, c.Dim, DType.BF16);
        if (hash)
        {
            _tid2eid = scope.IntTable("tid2eid", c.VocabSize, TopK);
            if (!scope.IsRecording)
                foreach (int e in _tid2eid)
                    if ((uint)e >= (uint)Experts) throw new InvalidDataException($"{scope.FullName("tid2eid")}: expert id {e} outside [0, {Experts})");
        }
        else _bias = scope.Vector<T>("bias", DType.F32, Experts);
        if (imageBias) _biasVl = scope.Vector<T>("bias_vl", DType.F32, Experts);
    }

    /// <summary>A hash layer's experts of each token [T, k] (tid2eid rows).</summary>
    public void HashExperts(ReadOnlySpan<int> ids, Span<int> experts)
    {
        int[] table = _tid2eid ?? throw new InvalidOperationException("not a hash-routed layer");
        for (int t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)(table.Length / TopK)) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[t]} outside the vocabulary");
            table.AsSpan(ids[t] * TopK, TopK).CopyTo(experts.Slice(t * TopK, TopK));
        }
    }

    /// <summary>For each token: chosen expert ids [T, k] and routing weights [T, k]; scores [T, E] is scratch.</summary>
    /// <summary><paramref name="image"/>[t] true: token t is in an image span and selects with bias_vl (V4.1).</summary>
    public void Route(ReadOnlySpan<T> x, ReadOnlySpan<int> ids, int tokens, Span<T> scores, Span<int> experts, Span<T> weights, ReadOnlySpan<bool> image = default)
    {
        int E = Experts, k = TopK;
        _weight.Forward(x, scores, tokens);
        Span<T> biased = stackalloc T[E];
        for (int t = 0; t < tokens; t++)
        {
            // 1. scores                                                      [E]
            Span<T> s = scores.Slice(t * E, E);
            switch (_func)
            {
                case ScoringFunction.Softmax: Elementwise.Softmax(s); break;
                case ScoringFunction.Sigmoid: for (int e = 0; e < E; e++) s[e] = Elementwise.Sigmoid(s[e]); break;
                default: for (int e = 0; e < E; e++) s[e] = T.Sqrt(Elementwise.Softplus(s[e])); break;
            }
            // 2. selection: hash table or top-k of s + bias                 [k]
            Span<int> idx = experts.Slice(t * k, k);
            if (_tid2eid is not null)
            {
                if ((uint)ids[t] >= (uint)(_tid2eid.Length / k)) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[t]} outside the vocabulary");
                _tid2eid.AsSpan(ids[t] * k, k).CopyTo(idx);
            }
            else
            {
                T[] bias = _biasVl is not null && !image.IsEmpty && image[t] ? _biasVl : _bias!;
                for (int e = 0; e < E; e++) biased[e] = s[e] + bias[e];
                Elementwise.TopK<T>(biased, k, idx);
            }
            // 3. weights = s[idx] (/ sum unless softmax) * route_scale      [k]
            Span<T> w = weights.Slice(t * k, k);
            T sum = T.Zero;
            for (int i = 0; i < k; i++) { w[i] = s[idx[i]]; sum += w[i]; }
            for (int i = 0; i < k; i++) w[i] = (_normalize ? w[i] / sum : w[i]) * _routeScale;
        }
    }
}
