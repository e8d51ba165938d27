// V4.1 attention of one layer: latent q, one shared K=V row per token, a sliding window plus (ratio
// > 0) the compressed positions the index picked. Only KV sources compress (and own the cache the
// later same-ratio layers read); only index sources run an indexer (the others reuse the top-k the
// previous source published in this forward). Window KV is FP8 (ue8m0 per 32), compressed KV FP4 in
// groups of 16 with E4M3 scales. The output has the query RoPE removed before the grouped wo_a.
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.State.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41;

/// <summary>What attention layers hand down the stack within one forward (per token): the published top-k and candidate mask.</summary>
public sealed class V41SharedAttention(int tokens)
{
    public int[]?[] TopK { get; } = new int[]?[tokens];
    public bool[]?[] Candidates { get; } = new bool[]?[tokens];
    /// <summary>
    /// Step-wise calls only: the index-key publisher each token sees, as if it were fed alone (one decode
    /// step per token); null = the official shared slot, one publisher for the whole call.
    /// </summary>
    public int[]? Publisher { get; init; }
}

public sealed class V41Attention<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wqA, _wqB, _wkv, _woA, _woB;
    private readonly RmsNorm<T> _qNorm, _kvNorm;
    private readonly T[] _sink;
    private readonly RopeTable<T> _rope;
    private readonly int _layer, _ratio, _heads, _headDim, _ropeDim, _window, _groups, _oRank, _dim;
    private readonly T _scale;
    private readonly bool _v4KvRows;

    public V41Compressor<T>? Compressor { get; }
    public V41Indexer<T>? Indexer { get; }

    public V41Attention(WeightScope scope, V41Config c, int layer)
    {
        var b = c.Base;
        _layer = layer; _ratio = c.Ratio(layer); _heads = b.NumHeads; _headDim = b.HeadDim; _ropeDim = b.RopeHeadDim;
        _window = b.WindowSize; _groups = b.OGroups; _oRank = b.OLoraRank; _dim = b.Dim;
        _sink = scope.Vector<T>("attn_sink", DType.F32, _heads);
        _wqA = scope.Linear("wq_a", b.QLoraRank, b.Dim, LinearKind.Dense);
        _qNorm = new RmsNorm<T>(scope, "q_norm", b.QLoraRank, b.NormEps);
        _wqB = scope.Linear("wq_b", _heads * _headDim, b.QLoraRank, LinearKind.Dense);
        _wkv = scope.Linear("wkv", _headDim, b.Dim, LinearKind.Dense);
        _kvNorm = new RmsNorm<T>(scope, "kv_norm", _headDim, b.NormEps);
        _woA = scope.Linear("wo_a", _groups * _oRank, _heads * _headDim / _groups, LinearKind.Bf16);
        _woB = scope.Linear("wo_b", b.Dim, _groups * _oRank, LinearKind.Dense);
        if (c.IsKvSource(layer)) Compressor = new V41Compressor<T>(scope.Scope("compressor"), c, layer);
        if (c.IsIndexSource(layer)) Indexer = new V41Indexer<T>(scope.Scope("indexer"), c, layer);
        _rope = new RopeTable<T>(c.RopeFor(_ratio));
        _scale = T.One / T.Sqrt(T.CreateTruncating(_headDim));
        _v4KvRows = c.DSparkOnV4;
    }

    /// <summary>x [T, dim] (normed attention input) -> y [T, dim]; token t at positions[t] of states[t].</summary>
    public void Forward(ReadOnlySpan<T> x, long[] positions, V41SequenceState<T>[] states, V41SharedAttention shared, Span<T> y, ITapSink<T>? taps)
    {
        int tokens = positions.Length, h = _heads, d = _headDim, rd = _ropeDim;
        // 1. qr = q_norm(wq_a x); q = RoPE(wq_b qr)                              [T, H, D]
        var (qr, q) = Queries(x, positions);

        // 2. window KV = FP8(RoPE(kv_norm(wkv x))), appended per token            [T, D]
        T[] kv = KvRows(x, positions);
        for (int t = 0; t < tokens; t++)
        {
            Span<T> row = kv.AsSpan(t * d, d);
            RowList<T> win = states[t].Window[_layer];
            if (win.Count != positions[t]) throw new InvalidOperationException($"layer {_layer}: window rows {win.Count} out of step with position {positions[t]}");
            win.Add(row);
        }

        // 3. compressed positions: compress (KV source), index (index source) or reuse   [T][<= K]
        int[][]? chosen = null;
        if (_ratio > 0)
        {
            T[]?[]? latents = Compressor?.Forward(x, positions, states);
            if (Indexer is { OwnsKeys: true } && latents is not null)
                for (int t = 0; t < tokens; t++)
                    if (latents[t] is { } lat)
                    {
                        Indexer.AddKey(lat, (int)((positions[t] + 1) / _ratio) - 1, _rope, states[t]);
                        states[t].IndexKeyPublisher = _layer;   // publishes for the whole call, as the official shared slot
                        if (shared.Publisher is { } own) own[t] = _layer;   // step-wise: for this token only
                    }
            if (Indexer is not null)
            {
                chosen = Indexer.Select(x, qr, positions, states, _rope, shared.Candidates, shared.Publisher);
                for (int t = 0; t < tokens; t++) shared.TopK[t] = chosen[t];
            }
            else chosen = shared.TopK.Select((k, t) => k ?? throw new InvalidOperationException($"layer {_layer}: no top-k was published for position {positions[t]}")).ToArray();
            if (latents is not null)
                for (int t = 0; t < tokens; t++)
                {
                    if (latents[t] is not { } lat) continue;
                    // compressed KV = FP4/16 with E4M3 scales of RoPE(latent) at the group's first position
                    int group = (int)((positions[t] + 1) / _ratio) - 1;
                    _rope.Apply(lat.AsSpan(d - rd), (long)group * _ratio);
                    CodedRows cmp = states[t].Compressed[_layer]!;
                    if (cmp.Count != group) throw new InvalidOperationException($"layer {_layer}: compressed rows {cmp.Count} out of step with group {group}");
                    V41RowFormats.EncodeCompressed<T>(lat, cmp.Append());   // storing is the fake quant
                }
            if (taps?.Wants(_layer) ?? false)
                for (int t = 0; t < tokens; t++) taps.Record(_layer, "topk", positions[t], chosen[t].Select(j => T.CreateTruncating(j)).ToArray());
        }

        // 4. sparse attention with sinks over window + chosen compressed rows, RoPE removed   [T, H, D]
        T[] o = new T[tokens * h * d];
        for (int t = 0; t < tokens; t++)
        {
            long p = positions[t];
            int first = (int)Math.Max(0, p - _window + 1), nWin = (int)(p - first + 1), nCmp = chosen?[t].Length ?? 0;
            T[] keys = new T[(nWin + nCmp) * d], scores = new T[nWin + nCmp];
            RowList<T> win = states[t].Window[_layer];
            for (int j = 0; j < nWin; j++) win.Row(first + j).CopyTo(keys.AsSpan(j * d, d));
            if (nCmp > 0)
            {
                CodedRows cmp = states[t].Compressed[states[t].KvSourceOf(_layer)]!;
                for (int j = 0; j < nCmp; j++) V41RowFormats.DecodeCompressed<T>(cmp.Row(chosen![t][j]), keys.AsSpan((nWin + j) * d, d));
            }
            for (int i = 0; i < h; i++)
            {
                Span<T> oh = o.AsSpan((t * h + i) * d, d);
                SinkAttention.Attend<T>(q.AsSpan((t * h + i) * d, d), keys, _scale, _sink[i], scores, oh);
                _rope.Apply(oh.Slice(d - rd), p, inverse: true);
            }
        }

        // 5. grouped wo_a (group g projects its own heads), then wo_b              [T, G, r] -> [T, dim]
        Output(o, y, tokens);
    }

    /// <summary>
    /// DSpark stage attention (window-only layer): the block's queries at positions[t] attend over the
    /// main-model KV rows <paramref name="mainKv"/> [n, head_dim] (the window ending at the anchor's
    /// predecessor) and over ALL the block's own KV rows (no causal mask inside the block); nothing is stored.
    /// </summary>
    public void ForwardDSpark(ReadOnlySpan<T> x, long[] positions, ReadOnlySpan<T> mainKv, Span<T> y)
    {
        int tokens = positions.Length, h = _heads, d = _headDim, rd = _ropeDim, n = mainKv.Length / d;
        // 1. queries and block KV rows as for a window layer                      [B, H, D], [B, D]
        var (_, q) = Queries(x, positions);
        T[] kv = KvRows(x, positions);
        // 2. keys = main window rows then block rows                               [n + B, D]
        T[] keys = new T[(n + tokens) * d], scores = new T[n + tokens], o = new T[tokens * h * d];
        mainKv.CopyTo(keys);
        kv.CopyTo(keys.AsSpan(n * d));
        // 3. sink attention per head, RoPE removed                                 [B, H, D]
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < h; i++)
            {
                Span<T> oh = o.AsSpan((t * h + i) * d, d);
                SinkAttention.Attend<T>(q.AsSpan((t * h + i) * d, d), keys, _scale, _sink[i], scores, oh);
                _rope.Apply(oh.Slice(d - rd), positions[t], inverse: true);
            }
        // 4. grouped wo_a, wo_b                                                    [B, dim]
        Output(o, y, tokens);
    }

    /// <summary>One main-model KV row for a DSpark stage window: FP8(RoPE(kv_norm(wkv x))) at <paramref name="position"/>.</summary>
    public void KvRow(ReadOnlySpan<T> x, long position, Span<T> row) => KvRows(x, [position]).CopyTo(row);

    // qr = q_norm(wq_a x); q = RoPE(wq_b qr)                                       [T, q_lora], [T, H, D]
    private (T[] Qr, T[] Q) Queries(ReadOnlySpan<T> x, long[] positions)
    {
        int tokens = positions.Length, h = _heads, d = _headDim, rd = _ropeDim;
        T[] qr = new T[tokens * _wqA.OutFeatures], q = new T[tokens * h * d];
        _wqA.Forward(x, qr, tokens);
        _qNorm.ForwardInPlace(qr);
        _wqB.Forward<T>(qr, q, tokens);
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < h; i++) _rope.Apply(q.AsSpan((t * h + i) * d + d - rd, rd), positions[t]);
        return (qr, q);
    }

    // FP8(RoPE(kv_norm(wkv x))) per token                                          [T, D]
    private T[] KvRows(ReadOnlySpan<T> x, long[] positions)
    {
        int tokens = positions.Length, d = _headDim, rd = _ropeDim;
        T[] kv = new T[tokens * d];
        _wkv.Forward(x, kv, tokens);
        for (int t = 0; t < tokens; t++)
        {
            Span<T> row = kv.AsSpan(t * d, d);
            _kvNorm.ForwardInPlace(row);
            _rope.Apply(row.Slice(d - rd), positions[t]);
            if (_v4KvRows) FakeQuant.Fp8<T>(row[..(d - rd)], 64);   // the V4 rule: nope part in blocks of 64, RoPE exact
            else FakeQuant.Fp8<T>(row, V41Config.Fp8Block);
        }
        return kv;
    }

    // grouped wo_a (group g projects its own heads), then wo_b                     [T, H*D] -> [T, G, r] -> [T, dim]
    private void Output(T[] o, Span<T> y, int tokens)
    {
        int h = _heads, d = _headDim;
        int gw = h * d / _groups;
        T[] og = new T[tokens * _groups * _oRank];
        for (int g = 0; g < _groups; g++)
        {
            WeightMatrix wg = _woA.RowSlice(g * _oRank, _oRank);
            T[] xin = new T[tokens * gw], yout = new T[tokens * _oRank];
            for (int t = 0; t < tokens; t++) o.AsSpan(t * h * d + g * gw, gw).CopyTo(xin.AsSpan(t * gw, gw));
            MatMul.Forward<T>(xin, wg, yout, tokens);
            for (int t = 0; t < tokens; t++) yout.AsSpan(t * _oRank, _oRank).CopyTo(og.AsSpan((t * _groups + g) * _oRank, _oRank));
        }
        _woB.Forward<T>(og, y, tokens);
    }
}
