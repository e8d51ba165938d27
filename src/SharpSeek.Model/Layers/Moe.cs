// The MoE feed-forward: route each token to k experts, run every used expert once over the tokens
// routed to it (in expert order, as the reference accumulates), add the shared expert.
using System.Numerics;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Moe<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly MoeGate<T> _gate;
    private readonly Expert<T>[] _experts;
    private readonly Expert<T> _shared;
    private readonly int _layer, _dim;

    public MoeGate<T> Gate => _gate;

    public Moe(WeightScope scope, int layer, bool hash, bool imageBias = false)
    {
        var c = scope.Config;
        _layer = layer; _dim = c.Dim;
        _gate = new MoeGate<T>(scope.Scope("gate"), hash, imageBias);
        _experts = new Expert<T>[c.NumRoutedExperts];
        for (int e = 0; e < _experts.Length; e++) _experts[e] = new Expert<T>(scope.Scope("experts").Scope(e), LinearKind.Expert);
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
        work.Lap(ForwardOp.MoeGate);

        // 2. routed experts, each over the tokens sent to it                 [n_e, dim]
        if (tokens == 1 && typeof(T) == typeof(float) && !_experts[0].W1.QuantizeInput)
        {
            RoutedOneToken(x, chosen, weights, work, y);   // a decode step: two parallel regions for all k experts
            work.Lap(ForwardOp.Experts);
            SharedExpert(x, tokens, work, y, positions, taps);
            return;
        }
        y[..(tokens * d)].Clear();
        Span<int> rows = work.Rows(tokens * k);   // a token may name an expert twice (hash tables)
        Span<T> rowWeights = work.Span(Scratch.MoeWeights, tokens * k);
        for (int e = 0; e < _experts.Length; e++)
        {
            int n = 0;
            for (int i = 0; i < chosen.Length; i++)
                if (chosen[i] == e) { rows[n] = i / k; rowWeights[n++] = weights[i]; }
            if (n == 0) continue;
            Span<T> xe = work.Span(Scratch.MoeX, n * d), ye = work.Span(Scratch.MoeY, n * d);
            for (int r = 0; r < n; r++) x.Slice(rows[r] * d, d).CopyTo(xe.Slice(r * d, d));
            _experts[e].Forward(xe, rowWeights[..n], n, work, ye);
            for (int r = 0; r < n; r++)
            {
                Span<T> yt = y.Slice(rows[r] * d, d);
                ReadOnlySpan<T> src = ye.Slice(r * d, d);
                for (int i = 0; i < d; i++) yt[i] += src[i];
            }
        }

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

    /// <summary>
    /// The routed experts of one token (float32): every chosen expert's w1 and w3 in one region of the
    /// worker team, then their w2 in another, instead of three regions per expert; the products, the
    /// activation and the order of the sum (by expert, then slot) are those of the loop above, so the
    /// result is the same bit for bit.
    /// </summary>
    private unsafe void RoutedOneToken(ReadOnlySpan<T> x, ReadOnlySpan<int> chosen, ReadOnlySpan<T> weights, ForwardWorkspace<T> work, Span<T> y)
    {
        int k = chosen.Length, d = _dim, inter = _experts[0].InterDim;
        Span<T> g = work.Span(Scratch.ExpertG, k * inter), u = work.Span(Scratch.ExpertU, k * inter), ye = work.Span(Scratch.MoeY, k * d);
        MatMulProduct[] products = work.Products(2 * k);
        fixed (T* px = x, pg = g, pu = u, py = ye)
        {
            for (int i = 0; i < k; i++)
            {
                Expert<T> e = _experts[chosen[i]];
                products[2 * i] = new(e.W1.Weight, (float*)px, (float*)(pg + i * inter), 1);       // g_i = w1 x   [inter]
                products[2 * i + 1] = new(e.W3.Weight, (float*)px, (float*)(pu + i * inter), 1);   // u_i = w3 x   [inter]
            }
            MatMulBatch.Forward(products, 2 * k);
            for (int i = 0; i < k; i++)
            {
                _experts[chosen[i]].Activate(g.Slice(i * inter, inter), u.Slice(i * inter, inter), weights[i]);
                products[i] = new(_experts[chosen[i]].W2.Weight, (float*)(pg + i * inter), (float*)(py + i * d), 1);   // y_i = w2 a_i  [dim]
            }
            MatMulBatch.Forward(products, k);
        }
        // Summed by expert id, then slot (a hash layer may name an expert twice), as the loop over experts adds them.
        Span<int> order = work.Rows(k);
        for (int i = 0; i < k; i++)
        {
            int j = i;
            while (j > 0 && chosen[order[j - 1]] > chosen[i]) { order[j] = order[j - 1]; j--; }
            order[j] = i;
        }
        y[..d].Clear();
        foreach (int i in order)
        {
            ReadOnlySpan<T> src = ye.Slice(i * d, d);
            for (int c = 0; c < d; c++) y[c] += src[c];
        }
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
