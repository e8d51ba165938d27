// One SwiGLU expert in T: g = w1 x, u = w3 x; with swiglu_limit L > 0, u = clamp(u, -L, L) and
// g = min(g, L); a = silu(g) * u * routing_weight; y = w2 a. Routed experts are FP4 (or FP8),
// the shared expert FP8; both go through the same Linear.
using System.Numerics;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Expert<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _w1, _w2, _w3;
    private readonly T _limit;
    private readonly int _dim, _inter;

    public Expert(WeightScope scope, LinearKind kind)
    {
        var c = scope.Config;
        _dim = c.Dim; _inter = c.MoeInterDim; _limit = T.CreateTruncating(c.SwigluLimit);
        _w1 = scope.Linear("w1", _inter, _dim, kind);
        _w2 = scope.Linear("w2", _dim, _inter, kind);
        _w3 = scope.Linear("w3", _inter, _dim, kind);
    }

    public Linear W1 => _w1;
    public Linear W2 => _w2;
    public Linear W3 => _w3;
    public int InterDim => _inter;

    /// <summary>y [T, dim] = w2((silu(g) * u) * weight[t]) for x [T, dim]; weights may be empty (= 1).</summary>
    public void Forward(ReadOnlySpan<T> x, ReadOnlySpan<T> weights, int tokens, ForwardWorkspace<T> work, Span<T> y)
    {
        Span<T> g = work.Span(Scratch.ExpertG, tokens * _inter), u = work.Span(Scratch.ExpertU, tokens * _inter);
        // 1. g = w1 x, u = w3 x   [T, inter]; a short float32 product (the shared expert of a decode step)
        //    runs both in one region of the worker team, with the same bits (MatMulBatch); an input tap (imatrix) sees each through Linear
        if (typeof(T) == typeof(float) && tokens < ShortProduct && !_w1.QuantizeInput && !_w3.QuantizeInput && _w1.InputTap is null && _w3.InputTap is null && x.Length >= tokens * _dim) BothInOneRegion(x, g, u, tokens, work);
        else
        {
            _w1.Forward(x, g, tokens);
            _w3.Forward(x, u, tokens);
        }
        for (int t = 0; t < tokens; t++)
            Activate(g.Slice(t * _inter, _inter), u.Slice(t * _inter, _inter), weights.IsEmpty ? T.One : weights[t]);
        _w2.Forward(g, y, tokens);
    }

    /// <summary>Tokens below which w1 and w3 share one parallel region (larger products split better alone).</summary>
    private const int ShortProduct = 16;

    private unsafe void BothInOneRegion(ReadOnlySpan<T> x, Span<T> g, Span<T> u, int tokens, ForwardWorkspace<T> work)
    {
        MatMulProduct[] p = work.Products(2);
        fixed (T* px = x, pg = g, pu = u)
        {
            p[0] = new(_w1.Weight, (float*)px, (float*)pg, tokens);
            p[1] = new(_w3.Weight, (float*)px, (float*)pu, tokens);
            MatMulBatch.Forward(p, 2);
        }
    }

    /// <summary>One token's g [inter] = silu(min(g, L)) * clamp(u, -L, L) * weight (no clamp when L <= 0).</summary>
    public void Activate(Span<T> g, ReadOnlySpan<T> u, T weight)
    {
        bool clamp = _limit > T.Zero;
        for (int i = 0; i < g.Length; i++)
        {
            T gi = g[i], ui = u[i];
            if (clamp) { ui = T.Clamp(ui, -_limit, _limit); gi = T.Min(gi, _limit); }
            g[i] = Elementwise.Silu(gi) * ui * weight;
        }
    }
}
