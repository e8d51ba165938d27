// The MoE feed-forward: route each token to k experts, run every used expert once over the tokens
// routed to it (in expert order, as the reference accumulates), add the shared expert.
using System.Numerics;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers;

public sealed class Moe<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly MoeGate<T> _gate;
    private readonly RoutedExperts<T> _experts;
    private readonly Expert<T> _shared;
    private readonly int _layer, _dim;

    public MoeGate<T> Gate => _gate;

    public Moe(WeightScope scope, int layer, bool hash, bool imageBias = false, bool normalizeSingle = true)
    {
        var c = scope.Config;
        _layer = layer; _dim = c.Dim;
        _gate = new MoeGate<T>(scope.Scope("gate"), hash, imageBias, normalizeSingle);
        _experts = new RoutedExperts<T>(scope.Scope("experts"), _gate.TopK);   // this rank's shard under expert parallel
        _shared = new Expert<T>(scope.Scope("shared_experts"), LinearKind.Dense);
    }

    /// <summary>x [T, dim] with token ids [T] -> y [T, dim].</summary>
    public void Forward(ReadOnlySpan<T> x, ReadOnlySpan<int> ids, long[] positions, ForwardWorkspace<T> work, Span<T> y, ITapSink<T>? taps, ReadOnlySpan<bool> image = default)
    {
        int tokens = positions.Length;
        int k = _gate.TopK, d = _dim;
        // 1. route                                                           [T, k]
        Span<int> chosen = work.Experts(tokens * k);
        Span<T> weights = work.Span(Scratch.GateWeights, tokens * k);
        _gate.Route(x, ids, tokens, work.Span(Scratch.GateScores, tokens * _gate.Experts), chosen, weights, image);
        if (taps?.Wants(_layer) ?? false)
            for (int t = 0; t < tokens; t++)
            {
                taps.Record(_layer, "gate_weights", positions[t], weights.Slice(t * k, k));
                T[] e = new T[k];
                for (int i = 0; i < k; i++) e[i] = T.CreateTruncating(chosen[t * k + i]);
                taps.Record(_layer, "gate_ids", positions[t], e);
            }
        work.ReadAhead?.Routed(_layer, x, ids, chosen, tokens);
        work.Lap(ForwardOp.MoeGate);

        // 2. routed experts, each over the tokens sent to it, added in expert order [T, dim]
        _experts.Forward(x, chosen, weights, tokens, work, y);

        work.Lap(ForwardOp.Experts);

        SharedExpert(x, tokens, work, y, positions, taps);
    }

    /// <summary>3. y += the shared expert of x                                   [T, dim]</summary>
    private void SharedExpert(ReadOnlySpan<T> x, int tokens, ForwardWorkspace<T> work, Span<T> y, long[] positions, ITapSink<T>? taps)
    {
        int d = _dim;
        Span<T> ys = work.Span(Scratch.SharedY, tokens * d);
        _shared.Forward(x, default, tokens, work, ys);
        for (int i = 0; i < tokens * d; i++) y[i] += ys[i];
        if (taps?.Wants(_layer) ?? false)
            for (int t = 0; t < tokens; t++) taps.Record(_layer, "moe_out", positions[t], y.Slice(t * d, d));
        work.Lap(ForwardOp.SharedExpert);
    }

    /// <summary>Expert ids chosen per token (for tests and the auxiliary-loss-free balancing).</summary>
    public int[] Route(ReadOnlySpan<T> x, ReadOnlySpan<int> ids, int tokens, out T[] weights)
    {
        int[] chosen = new int[tokens * _gate.TopK];
        weights = new T[tokens * _gate.TopK];
        _gate.Route(x, ids, tokens, new T[tokens * _gate.Experts], chosen, weights);
        return chosen;
    }
}
