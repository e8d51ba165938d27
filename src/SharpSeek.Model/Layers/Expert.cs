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
        // 1. g = w1 x, u = w3 x   [T, inter]; a short float32 product (the shared expert of a decode step) or an
        //    int8 one (one quantisation of x) runs both in one region of the worker team, with the same bits
        //    (MatMulBatch); an input tap (imatrix) sees each through Linear
        if (typeof(T) == typeof(float) && _w1.PlainProduct && _w3.PlainProduct && x.Length >= tokens * _dim
            && MatMulBatch.OneRegionPays(_w1.Weight, _w3.Weight, tokens)) BothInOneRegion(x, g, u, tokens, work);
        else
        {
            _w1.Forward(x, g, tokens);
            _w3.Forward(x, u, tokens);
        }
        // 2. g = silu(min(g, L)) * clamp(u, -L, L) * weight   [T, inter]; many float32 rows across the worker team
        if (typeof(T) == typeof(float) && tokens >= ParallelRows) ActivateRows(g, u, weights, tokens);
        else
            for (int t = 0; t < tokens; t++)
                Activate(g.Slice(t * _inter, _inter), u.Slice(t * _inter, _inter), weights.IsEmpty ? T.One : weights[t]);
        // 3. y = w2 g   [T, dim]
        _w2.Forward(g, y, tokens);
    }

    /// <summary>Rows from which the activation is spread over the worker team (each row computed as Activate does).</summary>
    private const int ParallelRows = 32;

    private unsafe struct RowsJob
    {
        public float* G, U, Weights;
        public float Limit;
        public int Inter, Tokens, Per;
    }

    private unsafe void ActivateRows(Span<T> g, ReadOnlySpan<T> u, ReadOnlySpan<T> weights, int tokens)
    {
        fixed (T* pg = g, pu = u, pw = weights)
        {
            int chunks = Math.Min(tokens, 4 * WorkerTeam.Shared.Size);
            var job = new RowsJob { G = (float*)pg, U = (float*)pu, Weights = weights.IsEmpty ? null : (float*)pw, Limit = float.CreateTruncating(_limit), Inter = _inter, Tokens = tokens, Per = (tokens + chunks - 1) / chunks };
            WorkerTeam.Shared.Run((tokens + job.Per - 1) / job.Per, &job, &ActivateChunk);   // job lives on this frame until Run returns
        }
    }

    private static unsafe void ActivateChunk(void* state, int c)
    {
        ref RowsJob j = ref *(RowsJob*)state;
        for (int t = c * j.Per, end = Math.Min(j.Tokens, (c + 1) * j.Per); t < end; t++)
            ActivateRow(new Span<float>(j.G + (long)t * j.Inter, j.Inter), new ReadOnlySpan<float>(j.U + (long)t * j.Inter, j.Inter), j.Weights == null ? 1f : j.Weights[t], j.Limit);
    }

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
    public void Activate(Span<T> g, ReadOnlySpan<T> u, T weight) => ActivateRow(g, u, weight, _limit);

    private static void ActivateRow<TV>(Span<TV> g, ReadOnlySpan<TV> u, TV weight, TV limit) where TV : unmanaged, IFloatingPointIeee754<TV>
    {
        bool clamp = limit > TV.Zero;
        for (int i = 0; i < g.Length; i++)
        {
            TV gi = g[i], ui = u[i];
            if (clamp) { ui = TV.Clamp(ui, -limit, limit); gi = TV.Min(gi, limit); }
            g[i] = Elementwise.Silu(gi) * ui * weight;
        }
    }
}
