// V4 attention: multi-query with one shared KV row per token (key = value), a sliding window,
// learned sink logits and, in compressed layers, compressed KV entries (all of them in Compressed
// layers, the indexer's top-k in Indexed ones). Tokens update the sequence memory one by one in
// order, so a prefill, a chunked prefill and a decode step compute exactly the same thing. The
// memory is reached only through IAttentionMemory: no slots, rings or codecs here.
using System.Numerics;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Attention<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wqA, _wqB, _wkv, _woB;
    private readonly Linear[] _woA;   // per group [o_lora, H*D/G]
    private readonly RmsNorm<T> _qNorm, _kvNorm;
    private readonly T[] _sink;             // [H]
    private readonly RopeTable<T> _rope;
    private readonly Compressor<T>? _compressor;
    private readonly Indexer<T>? _indexer;

    /// <summary>The lightning indexer of an Indexed layer (ratio 4), else null.</summary>
    public Indexer<T>? Indexer => _indexer;
    private readonly int _layer, _heads, _headDim, _ropeDim, _nope, _qLora, _groups, _oLora, _dim;
    private readonly T _eps, _softmaxScale;

    public LayerMemoryPlan Plan { get; }
    public AttentionKind Kind => Plan.Kind;
    public int Ratio => Plan.Ratio;

    public Attention(WeightScope scope, LayerMemoryPlan plan)
    {
        var c = scope.Config;
        Plan = plan; _layer = plan.Block;
        _heads = c.NumHeads; _headDim = c.HeadDim; _ropeDim = c.RopeHeadDim; _nope = c.NopeHeadDim;
        _qLora = c.QLoraRank; _groups = c.OGroups; _oLora = c.OLoraRank; _dim = c.Dim;
        _eps = T.CreateTruncating(c.NormEps);
        _softmaxScale = T.One / T.Sqrt(T.CreateTruncating(_headDim));
        // Compressed layers rotate with compress_rope_theta and YaRN; window-only layers with rope_theta (one rule, shared with training).
        _rope = new RopeTable<T>(c.RopeFor(plan.Ratio));

        _sink = scope.Vector<T>("attn_sink", DType.F32, _heads);
        _wqA = scope.Linear("wq_a", _qLora, _dim, LinearKind.Dense);
        _qNorm = new RmsNorm<T>(scope, "q_norm", _qLora, c.NormEps);
        _wqB = scope.Linear("wq_b", _heads * _headDim, _qLora, LinearKind.Dense);
        _wkv = scope.Linear("wkv", _headDim, _dim, LinearKind.Dense);
        _kvNorm = new RmsNorm<T>(scope, "kv_norm", _headDim, c.NormEps);
        int groupIn = _heads * _headDim / _groups;
        Linear woA = scope.Linear("wo_a", _groups * _oLora, groupIn, LinearKind.Dense);
        _woB = scope.Linear("wo_b", _dim, _groups * _oLora, LinearKind.Dense);
        _woA = scope.IsRecording ? [] : Enumerable.Range(0, _groups).Select(g => woA.Rows(g * _oLora, _oLora)).ToArray();
        if (plan.HasCompressed) _compressor = new Compressor<T>(scope.Scope("compressor"), plan.Ratio, _headDim, rotate: false, _rope);
        if (plan.Kind == AttentionKind.Indexed) _indexer = new Indexer<T>(scope.Scope("indexer"), _rope);
    }

    /// <summary>
    /// Token t sits at positions[t] of the sequence whose memory of this layer is memories[t] (tokens of
    /// one sequence in order). x [T, dim] (the attn_norm output) -> y [T, dim]. Projections run once
    /// for all tokens; the memory updates per token (window row, compressed entries, indexer keys).
    /// </summary>
    public void Forward(ReadOnlySpan<T> x, long[] positions, IAttentionMemory<T>[] memories, ForwardWorkspace<T> work, Span<T> y, ITapSink<T>? taps)
    {
        int H = _heads, D = _headDim, tokens = positions.Length;
        if (taps?.Wants(_layer) != true) taps = null;

        // 1. q = wq_b(q_norm(wq_a x)), per-head rsqrt norm, RoPE on the last rd dims   [T, H, D]
        Span<T> qr = work.Span(Scratch.AttnQr, tokens * _qLora);
        _wqA.Forward(x, qr, tokens);
        _qNorm.ForwardInPlace(qr);
        T[] q = work.Array(Scratch.AttnQ, tokens * H * D);   // an array: parallel heads share it
        _wqB.Forward(qr, q, tokens);
        int half = _ropeDim / 2;
        T[] angles = work.Array(Scratch.AttnRope, 2 * tokens * half);   // cos, sin of each token's angles [T, 2, rd/2]: q, kv and o use them
        for (int t = 0; t < tokens; t++)
        {
            _rope.Angles(positions[t], angles.AsSpan(2 * t * half, half), angles.AsSpan((2 * t + 1) * half, half));
            for (int h = 0; h < H; h++)
            {
                Span<T> qh = q.AsSpan((t * H + h) * D, D);
                Elementwise.RmsNorm<T>(qh, default, _eps, qh);
            }
            _rope.ApplyHeads(q.AsSpan(t * H * D, H * D), D, _nope, Cos(angles, t), Sin(angles, t));
        }

        // 2. window kv = kv_norm(wkv x), RoPE; FP8 quantisation happens in the memory  [T, D]
        Span<T> kv = work.Span(Scratch.AttnKv, tokens * D);
        _wkv.Forward(x, kv, tokens);
        _kvNorm.ForwardInPlace(kv);
        for (int t = 0; t < tokens; t++) _rope.ApplyHeads(kv.Slice(t * D, D), D, _nope, Cos(angles, t), Sin(angles, t));

        work.Lap(ForwardOp.AttentionProjections);

        // 3. compressor rows and indexer queries for all tokens                       [T, ...]
        var rows = Project(x, qr, positions, work);
        work.Lap(ForwardOp.CompressorIndexer);

        // 4. groups of consecutive tokens of one sequence: the compressors take the group's rows token by
        //    token (finished blocks append entries and index keys) and the indexer picks for all of them at
        //    once; then blocks of the group: token by token the window row, then the block attends  [T, H, D]
        T[] o = q;   // o [T, H, D] overwrites q block by block: a block reads only its own queries, before writing
        for (int g0 = 0; g0 < tokens;)
        {
            int g1 = BlockEnd(g0, tokens, MaxGroup, positions, memories);
            CompressAndPick(g0, g1, positions, memories[g0], rows, work, taps);
            work.Lap(ForwardOp.CompressorIndexer);
            for (int t0 = g0; t0 < g1;)
                t0 = AttendBlock(t0, BlockEnd(t0, g1, MaxBlock, positions, memories), g0, g1, q, kv, o, angles, positions, memories[t0], work, taps);
            g0 = g1;
        }

        // 5. grouped low-rank output: u_g = wo_a[g] o_g; y = wo_b concat(u)             [T, dim]
        int gIn = H * D / _groups;
        Span<T> og = work.Span(Scratch.AttnOg, tokens * gIn), ug = work.Span(Scratch.AttnUg, tokens * _oLora);
        Span<T> u = work.Span(Scratch.AttnU, tokens * _groups * _oLora);
        for (int g = 0; g < _groups; g++)
        {
            for (int t = 0; t < tokens; t++) o.AsSpan(t * H * D + g * gIn, gIn).CopyTo(og.Slice(t * gIn, gIn));
            _woA[g].Forward(og, ug, tokens);
            for (int t = 0; t < tokens; t++) ug.Slice(t * _oLora, _oLora).CopyTo(u.Slice(t * _groups * _oLora + g * _oLora, _oLora));
        }
        _woB.Forward(u, y, tokens);
        if (taps is not null) for (int t = 0; t < tokens; t++) taps.Record(_layer, "attn_out", positions[t], y.Slice(t * _dim, _dim));
        work.Lap(ForwardOp.AttentionProjections);
    }

    private ReadOnlySpan<T> Cos(T[] angles, int t) => angles.AsSpan(2 * t * (_ropeDim / 2), _ropeDim / 2);
    private ReadOnlySpan<T> Sin(T[] angles, int t) => angles.AsSpan((2 * t + 1) * (_ropeDim / 2), _ropeDim / 2);

    /// <summary>Per-token rows of the compressors and the indexer's queries and head weights.</summary>
    private readonly record struct ProjectedRows(T[] Kv, T[] Score, T[] IndexKv, T[] IndexScore, T[] IndexQ, T[] IndexW);

    private ProjectedRows Project(ReadOnlySpan<T> x, ReadOnlySpan<T> qr, long[] positions, ForwardWorkspace<T> work)
    {
        int tokens = positions.Length;
        T[] ckv = [], cscore = [], ikv = [], iscore = [], iq = [], iw = [];
        if (typeof(T) == typeof(float) && tokens < ShortProduct && PlainProducts())
        {
            // A decode step: the compressors' and the indexer's products in one region of the worker team (same bits, MatMulBatch)
            if (_compressor is not null)
            {
                ckv = work.Array(Scratch.CmpKv, tokens * _compressor.Width); cscore = work.Array(Scratch.CmpScore, tokens * _compressor.Width);
            }
            if (_indexer is not null)
            {
                int n = tokens * _indexer.Compressor.Width;
                ikv = work.Array(Scratch.IdxKv, n); iscore = work.Array(Scratch.IdxScore, n);
                iq = work.Array(Scratch.IdxQ, tokens * _indexer.QueryWidth); iw = work.Array(Scratch.IdxW, tokens * _indexer.Heads);
            }
            ProductsInOneRegion(x, qr, tokens, ckv, cscore, ikv, iscore, iq, iw, work);
            _indexer?.FinishQueries(positions, iq.AsSpan(0, tokens * _indexer.QueryWidth), iw.AsSpan(0, tokens * _indexer.Heads));
            return new ProjectedRows(ckv, cscore, ikv, iscore, iq, iw);
        }
        if (_compressor is not null)
        {
            int n = tokens * _compressor.Width;
            ckv = work.Array(Scratch.CmpKv, n); cscore = work.Array(Scratch.CmpScore, n);
            _compressor.Project(x, tokens, ckv.AsSpan(0, n), cscore.AsSpan(0, n));         // [T, cw]
        }
        if (_indexer is not null)
        {
            var ic = _indexer.Compressor;
            int n = tokens * ic.Width, nq = tokens * _indexer.QueryWidth, nw = tokens * _indexer.Heads;
            ikv = work.Array(Scratch.IdxKv, n); iscore = work.Array(Scratch.IdxScore, n);
            ic.Project(x, tokens, ikv.AsSpan(0, n), iscore.AsSpan(0, n));                   // [T, iw]
            iq = work.Array(Scratch.IdxQ, nq); iw = work.Array(Scratch.IdxW, nw);
            _indexer.Queries(qr, x, positions, iq.AsSpan(0, nq), iw.AsSpan(0, nw));         // [T, ih, id], [T, ih]
        }
        return new ProjectedRows(ckv, cscore, ikv, iscore, iq, iw);
    }

    /// <summary>Tokens below which the compressors' and the indexer's products share one parallel region.</summary>
    private const int ShortProduct = 16;

    /// <summary>Whether every compressor and indexer product runs as given (no FP8 input emulation, no input tap).</summary>
    private bool PlainProducts()
    {
        if (_compressor is not null && !(_compressor.Wkv.PlainProduct && _compressor.Wgate.PlainProduct)) return false;
        if (_indexer is null) return true;
        var ic = _indexer.Compressor;
        return ic.Wkv.PlainProduct && ic.Wgate.PlainProduct && _indexer.WqB.PlainProduct && _indexer.WeightsProj.PlainProduct;
    }

    /// <summary>The compressors' kv and gate products (x), the indexer's weights_proj (x) and wq_b (qr) in one MatMulBatch.</summary>
    private unsafe void ProductsInOneRegion(ReadOnlySpan<T> x, ReadOnlySpan<T> qr, int tokens, T[] ckv, T[] cscore, T[] ikv, T[] iscore, T[] iq, T[] iw, ForwardWorkspace<T> work)
    {
        MatMulProduct[] p = work.Products(6);
        int n = 0;
        fixed (T* px = x, pqr = qr, a = ckv, b = cscore, c = ikv, d = iscore, e = iq, f = iw)
        {
            // Products on x first and consecutive: an int8 input is quantised once for all of them
            if (_compressor is not null)
            {
                p[n++] = new(_compressor.Wkv.Weight, (float*)px, (float*)a, tokens);
                p[n++] = new(_compressor.Wgate.Weight, (float*)px, (float*)b, tokens);
            }
            if (_indexer is not null)
            {
                var ic = _indexer.Compressor;
                p[n++] = new(ic.Wkv.Weight, (float*)px, (float*)c, tokens);
                p[n++] = new(ic.Wgate.Weight, (float*)px, (float*)d, tokens);
                p[n++] = new(_indexer.WeightsProj.Weight, (float*)px, (float*)f, tokens);
                p[n++] = new(_indexer.WqB.Weight, (float*)pqr, (float*)e, tokens);
            }
            if (n > 0) MatMulBatch.Forward(p, n);
        }
    }

    /// <summary>Feeds token t's rows to the compressors; a finished block is appended to the memory.</summary>
    private void Compress(int t, long p, IAttentionMemory<T> mem, ProjectedRows rows, ForwardWorkspace<T> work, ITapSink<T>? taps)
    {
        if (_compressor is null) return;
        int w = _compressor.Width;
        Span<T> entry = work.Entry(_headDim);
        if (_compressor.Push(p, rows.Kv.AsSpan(t * w, w), rows.Score.AsSpan(t * w, w), mem.CompressorRows, entry))
        {
            int j = Plan.EntryOf(p);
            mem.AppendCompressed(j, entry);
            if (taps is not null) { mem.ReadCompressed(j, entry); taps.Record(_layer, "cmp_kv", j, entry); }
        }
        if (_indexer is null) return;
        var ic = _indexer.Compressor;
        Span<T> key = work.IndexEntry(ic.HeadDim);
        if (ic.Push(p, rows.IndexKv.AsSpan(t * ic.Width, ic.Width), rows.IndexScore.AsSpan(t * ic.Width, ic.Width), mem.IndexerRows, key))
        {
            int j = Plan.EntryOf(p);
            mem.AppendIndexKey(j, key);
            if (taps is not null) { mem.ReadIndexKey(j, key); taps.Record(_layer, "idx_cmp_kv", j, key); }
        }
    }

    /// <summary>Tokens compressed and picked for together (the indexer scores them as one block of queries).</summary>
    private const int MaxGroup = 64;

    /// <summary>
    /// Tokens [g0, g1) of one sequence (consecutive positions): the compressors take their rows in order, then
    /// the indexer picks every token's entries in one SelectMany (scores recorded for taps).
    /// </summary>
    private void CompressAndPick(int g0, int g1, long[] positions, IAttentionMemory<T> mem, ProjectedRows rows, ForwardWorkspace<T> work, ITapSink<T>? taps)
    {
        for (int t = g0; t < g1; t++) Compress(t, positions[t], mem, rows, work, taps);
        if (_indexer is null) return;
        int nq = g1 - g0, k = _indexer.TopK, qw = _indexer.QueryWidth, ih = _indexer.Heads;
        Span<int> visible = work.IndexVisible(nq);
        for (int t = 0; t < nq; t++) visible[t] = Plan.EntriesWithin(positions[g0 + t] + 1);
        int n = visible[nq - 1];
        Span<T> scores = work.IndexScores(nq * n);
        Span<int> chosen = work.IndexChoices(nq * k);
        _indexer.SelectMany(rows.IndexQ.AsSpan(g0 * qw, nq * qw), rows.IndexW.AsSpan(g0 * ih, nq * ih), mem, visible,
            work.IndexKeys(n * _indexer.Compressor.HeadDim), scores, n, chosen, k, scoreAll: taps is not null);
        if (taps is null) return;
        for (int t = 0; t < nq; t++)
        {
            long p = positions[g0 + t];
            int top = Math.Min(k, visible[t]);
            taps.Record(_layer, "index_scores", p, scores.Slice(t * n, visible[t]));
            T[] ids = new T[top];
            for (int i = 0; i < top; i++) ids[i] = T.CreateTruncating(chosen[t * k + i]);
            taps.Record(_layer, "topk", p, ids);
        }
    }

    /// <summary>The compressed entries token t (of the group from g0 to g1) attends: every visible one, or the indexer's pick.</summary>
    private ReadOnlySpan<int> Chosen(int t, int g0, int g1, long p, ForwardWorkspace<T> work)
    {
        int visible = Plan.EntriesWithin(p + 1);
        if (_indexer is null)
        {
            Span<int> all = work.Chosen(visible);
            for (int i = 0; i < visible; i++) all[i] = i;
            return all;
        }
        int k = _indexer.TopK;
        return work.IndexChoices((g1 - g0) * k).Slice((t - g0) * k, Math.Min(k, visible));
    }

    /// <summary>Query tokens attended together: they share one gathered key set (window rows, picked entries).</summary>
    private const int MaxBlock = 32;

    /// <summary>The end of the run from t0 (before limit): consecutive positions of one memory, at most max tokens.</summary>
    private static int BlockEnd(int t0, int limit, int max, long[] positions, IAttentionMemory<T>[] memories)
    {
        int t1 = t0 + 1;
        while (t1 < limit && t1 - t0 < max && ReferenceEquals(memories[t1], memories[t0]) && positions[t1] == positions[t1 - 1] + 1) t1++;
        return t1;
    }

    /// <summary>
    /// Tokens [t0, end) of one sequence (consecutive positions, inside the group [g0, g1) that CompressAndPick
    /// prepared): window rows and the tokens' picks token by token, then one SinkAttentionBlock over keys [window rows before the block, the block's rows, the
    /// entries any token picked (entry order)] with a mask of what each token sees. An indexed layer takes no
    /// further token once the picked entries outgrow one top-k set (long context: at most two sets' worth of keys;
    /// measured faster than both one token per block and a bound of three sets on a 4,096-token prompt). Returns where the block ended.
    /// </summary>
    private int AttendBlock(int t0, int end, int g0, int g1, T[] q, ReadOnlySpan<T> kv, T[] o, T[] angles, long[] positions, IAttentionMemory<T> mem, ForwardWorkspace<T> work, ITapSink<T>? taps)
    {
        int H = _heads, D = _headDim;
        long p0 = positions[t0];
        int nOld = p0 > 0 ? Plan.WindowRowsAt(p0 - 1) : 0;                         // rows [p0 - nOld, p0)
        int entries = Plan.HasCompressed ? Plan.EntriesWithin(positions[end - 1] + 1) : 0;
        int span = end - t0, limit = _indexer is null ? int.MaxValue : _indexer.TopK;
        T[] keys = work.Keys((nOld + span + entries) * D);
        // 4a. the window rows before the block, oldest first                          [nOld, D]
        if (nOld > 0) mem.GatherWindow(p0 - 1, keys);
        Span<byte> picks = work.Picks((span + 1) * entries);                          // [span, entries] + any
        picks.Clear();
        Span<byte> any = picks.Slice(span * entries, entries);
        int picked = 0, t1 = t0;
        while (t1 < end && picked <= limit)
        {
            int b = t1 - t0;
            long p = positions[t1];
            // 4b. window row in, read back as stored                                   [D]
            Span<T> row = keys.AsSpan((nOld + b) * D, D);
            mem.AppendWindow(p, kv.Slice(t1 * D, D));
            mem.ReadWindow(p, row);
            taps?.Record(_layer, "attn_kv", p, row);
            // 4c. the entries this token attends: every visible one, or the indexer's pick
            foreach (int j in Chosen(t1, g0, g1, p, work))
            {
                picks[b * entries + j] = 1;
                if (any[j] == 0) { any[j] = 1; picked++; }
            }
            t1++;
        }
        int span1 = t1 - t0;
        // 4d. the picked entries after the block's rows, in entry order                [nCmp, D]
        Span<int> union = work.Chosen(entries);
        int nCmp = 0;
        for (int j = 0; j < entries; j++) if (any[j] != 0) union[nCmp++] = j;
        int nWin = nOld + span1, n = nWin + nCmp;
        mem.GatherCompressed(union[..nCmp], keys.AsSpan(nWin * D, nCmp * D));
        // 4e. what each token sees: window rows [p - WindowRowsAt(p) + 1, p], its picked entries  [span, n]
        Span<byte> seen = work.Seen(span1 * n);
        for (int b = 0; b < span1; b++)
        {
            long p = positions[t0 + b], first = p - Plan.WindowRowsAt(p) + 1, key0 = p0 - nOld;   // key u holds position key0 + u
            Span<byte> sb = seen.Slice(b * n, n);
            sb[..nWin].Clear();
            sb[(int)(first - key0)..(int)(p - key0 + 1)].Fill(1);
            for (int c = 0; c < nCmp; c++) sb[nWin + c] = picks[b * entries + union[c]];
        }
        // 4f. sink attention of the block's heads, then inverse RoPE                  [span, H, D]
        Span<T> ob = o.AsSpan(t0 * H * D, span1 * H * D);
        if (taps is not null) for (int b = 0; b < span1; b++) taps.Record(_layer, "attn_q", positions[t0 + b], q.AsSpan((t0 + b) * H * D, H * D));
        SinkAttentionBlock.Attend<T>(q.AsSpan(t0 * H * D, span1 * H * D), keys.AsSpan(0, n * D), D, seen, _softmaxScale, _sink,
            work.AttentionScratch(SinkAttentionBlock.ScratchSize(span1, H, n, D)), ob);
        for (int b = 0; b < span1; b++)
        {
            long p = positions[t0 + b];
            _rope.ApplyHeads(ob.Slice(b * H * D, H * D), D, _nope, Cos(angles, t0 + b), Sin(angles, t0 + b), inverse: true);
            taps?.Record(_layer, "attn_o", p, ob.Slice(b * H * D, H * D));
        }
        work.Lap(ForwardOp.AttentionCore);
        return t1;
    }
}
