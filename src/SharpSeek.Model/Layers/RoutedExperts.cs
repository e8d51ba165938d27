// The routed experts of one MoE layer: run every used expert once over the tokens routed to it and
// add its rows into y in expert order (as the reference accumulates). With an ExpertShard this
// process holds only its own experts (the others are never mapped): it writes its experts' rows into
// an expert-ordered buffer, the ranks all-gather that buffer, and every rank adds all rows in the
// same expert order as one process does, so the result is bit-identical to it.
using System.Numerics;
using System.Runtime.InteropServices;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class RoutedExperts<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Expert<T>?[] _experts;   // null: held by another rank
    private readonly ExpertShard? _shard;
    private readonly int _dim, _k;

    public RoutedExperts(WeightScope scope, int topK)
    {
        var c = scope.Config;
        _dim = c.Dim; _k = topK;
        _shard = scope.ExpertShard;
        _shard?.Validate(c.NumRoutedExperts);
        _experts = new Expert<T>?[c.NumRoutedExperts];
        for (int e = 0; e < _experts.Length; e++)
            if (_shard is null || _shard.Owns(e, _experts.Length))
                _experts[e] = new Expert<T>(scope.Scope(e), LinearKind.Expert);
    }

    public int Count => _experts.Length;

    /// <summary>y [T, dim] = sum over each token's k (expert, weight) pairs of weight * expert(x) (y is overwritten).</summary>
    public void Forward(ReadOnlySpan<T> x, ReadOnlySpan<int> chosen, ReadOnlySpan<T> weights, int tokens, ForwardWorkspace<T> work, Span<T> y)
    {
        if (_shard?.Exchange is { } exchange) { y[..(tokens * _dim)].Clear(); Sharded(x, chosen, weights, tokens, work, y, exchange); }
        else if (tokens == 1 && typeof(T) == typeof(float) && _shard is null && _experts[0]!.W1.PlainProduct)
            OneToken(x, chosen, weights, work, y);   // a decode step: two parallel regions for all k experts
        else { y[..(tokens * _dim)].Clear(); Local(x, chosen, weights, work, y); }
    }

    // One process: each expert's rows are added as soon as they are computed.          [n_e, dim]
    private void Local(ReadOnlySpan<T> x, ReadOnlySpan<int> chosen, ReadOnlySpan<T> weights, ForwardWorkspace<T> work, Span<T> y)
    {
        int d = _dim;
        Span<int> rows = work.Rows(chosen.Length);   // a token may name an expert twice (hash tables)
        Span<T> rowWeights = work.Span(Scratch.MoeWeights, chosen.Length);
        for (int e = 0; e < _experts.Length; e++)
        {
            int n = RowsOf(e, chosen, weights, rows, rowWeights);
            if (n == 0) continue;
            Span<T> ye = work.Span(Scratch.MoeY, n * d);
            Run(e, x, rows[..n], rowWeights[..n], work, ye);
            AddRows(ye, rows[..n], y);
        }
    }

    // Expert parallel: 1. own experts into an expert-ordered buffer, 2. all-gather, 3. add in expert order.
    private void Sharded(ReadOnlySpan<T> x, ReadOnlySpan<int> chosen, ReadOnlySpan<T> weights, int tokens, ForwardWorkspace<T> work, Span<T> y, IExpertExchange exchange)
    {
        int d = _dim, experts = _experts.Length, ranks = exchange.Ranks;
        Span<int> start = experts <= 1024 ? stackalloc int[experts + 1] : new int[experts + 1];   // buffer row of each expert's first row
        start.Clear();
        foreach (int e in chosen) start[e + 1]++;
        for (int e = 0; e < experts; e++) start[e + 1] += start[e];
        Span<T> all = work.Span(Scratch.MoeGather, chosen.Length * d);          // [T*k, dim] in expert order
        Span<int> rows = work.Rows(chosen.Length);
        Span<T> rowWeights = work.Span(Scratch.MoeWeights, chosen.Length);

        // 1. this rank's experts                                                [n_e, dim] each
        for (int e = 0; e < experts; e++)
        {
            if (_experts[e] is null) continue;
            int n = RowsOf(e, chosen, weights, rows, rowWeights);
            if (n > 0) Run(e, x, rows[..n], rowWeights[..n], work, all.Slice(start[e] * d, n * d));
        }

        // 2. every rank's block (its contiguous expert range) to every rank            [T*k, dim]
        Span<int> counts = stackalloc int[ranks], offsets = stackalloc int[ranks];
        long rowBytes = (long)d * Marshal.SizeOf<T>();
        for (int r = 0; r < ranks; r++)
        {
            int first = _shard!.FirstOf(r, experts), last = first + _shard.CountOf(r, experts);
            long off = start[first] * rowBytes, len = (start[last] - start[first]) * rowBytes;
            if (off + len > int.MaxValue)
                throw new InvalidOperationException($"expert exchange of {chosen.Length} rows x {d} values exceeds 2 GiB: use a smaller prefill chunk");
            offsets[r] = (int)off; counts[r] = (int)len;
        }
        exchange.AllGather(MemoryMarshal.AsBytes(all), counts, offsets);

        // 3. add every expert's rows in expert order, as one process does               [T, dim]
        for (int e = 0; e < experts; e++)
        {
            int n = RowsOf(e, chosen, weights, rows, rowWeights);
            if (n > 0) AddRows(all.Slice(start[e] * d, n * d), rows[..n], y);
        }
    }

    /// <summary>
    /// The routed experts of one token (float32): every chosen expert's w1 and w3 in one region of the
    /// worker team, then their w2 in another, instead of three regions per expert; the products, the
    /// activation and the order of the sum (by expert, then slot) are those of Local, so the
    /// result is the same bit for bit.
    /// </summary>
    private unsafe void OneToken(ReadOnlySpan<T> x, ReadOnlySpan<int> chosen, ReadOnlySpan<T> weights, ForwardWorkspace<T> work, Span<T> y)
    {
        int k = chosen.Length, d = _dim, inter = _experts[0]!.InterDim;
        Span<T> g = work.Span(Scratch.ExpertG, k * inter), u = work.Span(Scratch.ExpertU, k * inter), ye = work.Span(Scratch.MoeY, k * d);
        MatMulProduct[] products = work.Products(2 * k);
        fixed (T* px = x, pg = g, pu = u, py = ye)
        {
            for (int i = 0; i < k; i++)
            {
                Expert<T> e = _experts[chosen[i]]!;
                products[2 * i] = new(e.W1.Weight, (float*)px, (float*)(pg + i * inter), 1);       // g_i = w1 x   [inter]
                products[2 * i + 1] = new(e.W3.Weight, (float*)px, (float*)(pu + i * inter), 1);   // u_i = w3 x   [inter]
            }
            MatMulBatch.Forward(products, 2 * k);
            for (int i = 0; i < k; i++)
            {
                _experts[chosen[i]]!.Activate(g.Slice(i * inter, inter), u.Slice(i * inter, inter), weights[i]);
                products[i] = new(_experts[chosen[i]]!.W2.Weight, (float*)(pg + i * inter), (float*)(py + i * d), 1);   // y_i = w2 a_i  [dim]
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

    /// <summary>The tokens routed to expert e (in routing order) and their weights; returns how many.</summary>
    private int RowsOf(int e, ReadOnlySpan<int> chosen, ReadOnlySpan<T> weights, Span<int> rows, Span<T> rowWeights)
    {
        int n = 0;
        for (int i = 0; i < chosen.Length; i++)
            if (chosen[i] == e) { rows[n] = i / _k; rowWeights[n++] = weights[i]; }
        return n;
    }

    private void Run(int e, ReadOnlySpan<T> x, ReadOnlySpan<int> rows, ReadOnlySpan<T> rowWeights, ForwardWorkspace<T> work, Span<T> ye)
    {
        int d = _dim, n = rows.Length;
        Span<T> xe = work.Span(Scratch.MoeX, n * d);
        for (int r = 0; r < n; r++) x.Slice(rows[r] * d, d).CopyTo(xe.Slice(r * d, d));
        Expert<T> expert = _experts[e] ?? throw new InvalidOperationException(
            $"routed expert {e} is held by another rank, and this rank's shard has no exchange to get its rows from");
        expert.Forward(xe, rowWeights, n, work, ye);
    }

    private void AddRows(ReadOnlySpan<T> ye, ReadOnlySpan<int> rows, Span<T> y)
    {
        int d = _dim;
        for (int r = 0; r < rows.Length; r++)
        {
            Span<T> yt = y.Slice(rows[r] * d, d);
            ReadOnlySpan<T> src = ye.Slice(r * d, d);
            for (int i = 0; i < d; i++) yt[i] += src[i];
        }
    }
}
