// V4 attention: multi-query with one shared KV row per token (key = value), a sliding window,
// learned sink logits and, in compressed layers, compressed KV entries (all of them for ratio > 4,
// the indexer's top-k for ratio 4). Tokens update the sequence memory one by one in order, so a
// prefill, a chunked prefill and a decode step compute exactly the same thing.
using System.Numerics;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Attention<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wqA, _wqB, _wkv, _woB;
    private readonly WeightMatrix[] _woA;   // per group [o_lora, H*D/G]
    private readonly RmsNorm<T> _qNorm, _kvNorm;
    private readonly T[] _sink;             // [H]
    private readonly RopeTable<T> _rope;
    private readonly Compressor<T>? _compressor;
    private readonly Indexer<T>? _indexer;
    private readonly int _layer, _heads, _headDim, _ropeDim, _nope, _qLora, _groups, _oLora, _window, _dim;
    private readonly T _eps, _softmaxScale;

    public int Ratio { get; }

    public Attention(WeightScope scope, int layer, int ratio)
    {
        var c = scope.Config;
        _layer = layer; Ratio = ratio;
        _heads = c.NumHeads; _headDim = c.HeadDim; _ropeDim = c.RopeHeadDim; _nope = c.NopeHeadDim;
        _qLora = c.QLoraRank; _groups = c.OGroups; _oLora = c.OLoraRank; _window = c.WindowSize; _dim = c.Dim;
        _eps = T.CreateTruncating(c.NormEps);
        _softmaxScale = T.One / T.Sqrt(T.CreateTruncating(_headDim));
        // Compressed layers rotate with compress_rope_theta and YaRN; window-only layers with rope_theta.
        var rs = c.RopeScaling;
        _rope = ratio > 0
            ? new RopeTable<T>(new RopeParameters(_ropeDim, c.CompressRopeTheta, c.UsesYarn, rs?.Factor ?? 1, rs?.OriginalMaxPositions ?? 0, rs?.BetaFast ?? 32, rs?.BetaSlow ?? 1))
            : new RopeTable<T>(new RopeParameters(_ropeDim, c.RopeTheta, false, 1, 0, 0, 0));

        _sink = scope.Vector<T>("attn_sink", DType.F32, _heads);
        _wqA = scope.Linear("wq_a", _qLora, _dim, LinearKind.Dense);
        _qNorm = new RmsNorm<T>(scope, "q_norm", _qLora, c.NormEps);
        _wqB = scope.Linear("wq_b", _heads * _headDim, _qLora, LinearKind.Dense);
        _wkv = scope.Linear("wkv", _headDim, _dim, LinearKind.Dense);
        _kvNorm = new RmsNorm<T>(scope, "kv_norm", _headDim, c.NormEps);
        int groupIn = _heads * _headDim / _groups;
        Linear woA = scope.Linear("wo_a", _groups * _oLora, groupIn, LinearKind.Dense);
        _woB = scope.Linear("wo_b", _dim, _groups * _oLora, LinearKind.Dense);
        _woA = scope.IsRecording ? [] : Enumerable.Range(0, _groups).Select(g => woA.RowSlice(g * _oLora, _oLora)).ToArray();
        if (ratio > 0)
        {
            _compressor = new Compressor<T>(scope.Scope("compressor"), ratio, _headDim, rotate: false, _rope);
            if (ratio == 4) _indexer = new Indexer<T>(scope.Scope("indexer"), _rope);
        }
    }

    /// <summary>One head of one query: o_h = sum_i softmax_i(q_h . k_i / sqrt(D); sink) k_i, then inverse RoPE.</summary>
    private void AttendHead(int h, T[] q, int qBase, T[] keys, int nKeys, T[] logits, T[] o, long p)
    {
        int D = _headDim;
        ReadOnlySpan<T> qh = q.AsSpan(qBase + h * D, D);
        Span<T> s = logits.AsSpan(h * nKeys, nKeys);
        T m = T.NegativeInfinity;
        for (int i = 0; i < nKeys; i++) { s[i] = Elementwise.Dot(qh, keys.AsSpan(i * D, D)) * _softmaxScale; if (s[i] > m) m = s[i]; }
        T sum = T.Zero;
        for (int i = 0; i < nKeys; i++) { s[i] = T.Exp(s[i] - m); sum += s[i]; }
        T denom = sum + T.Exp(_sink[h] - m);
        Span<T> oh = o.AsSpan(qBase + h * D, D);
        for (int i = 0; i < nKeys; i++) Elementwise.AddScaled(oh, keys.AsSpan(i * D, D), s[i] / denom);
        _rope.Apply(oh.Slice(_nope, _ropeDim), p, inverse: true);
    }

    /// <summary>
    /// x [T, dim] (the attn_norm output) at positions state.Length .. + T - 1 -> y [T, dim].
    /// Appends the tokens to <paramref name="st"/> (window, compressed entries, indexer keys).
    /// </summary>
    public void Forward(ReadOnlySpan<T> x, long startPos, int tokens, AttentionState<T> st, Span<T> y, ITapSink<T>? taps)
    {
        long[] positions = new long[tokens];
        var states = new AttentionState<T>[tokens];
        for (int t = 0; t < tokens; t++) { positions[t] = startPos + t; states[t] = st; }
        Forward(x, positions, states, y, taps);
    }

    /// <summary>
    /// Batched form: token t sits at positions[t] of the sequence whose memory is states[t] (tokens of
    /// one sequence in order). Projections run once for all tokens; the memory updates per token.
    /// </summary>
    public void Forward(ReadOnlySpan<T> x, long[] positions, AttentionState<T>[] states, Span<T> y, ITapSink<T>? taps)
    {
        int H = _heads, D = _headDim, rd = _ropeDim, tokens = positions.Length;
        bool tap = taps?.Wants(_layer) ?? false;

        // 1. q = wq_b(q_norm(wq_a x)), per-head rsqrt norm, RoPE on the last rd dims   [T, H, D]
        T[] qr = new T[tokens * _qLora];
        _wqA.Forward(x, qr, tokens);
        _qNorm.ForwardInPlace(qr);
        T[] q = new T[tokens * H * D];
        _wqB.Forward(qr, q, tokens);
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < H; h++)
            {
                Span<T> qh = q.AsSpan((t * H + h) * D, D);
                Elementwise.RmsNorm<T>(qh, default, _eps, qh);
                _rope.Apply(qh.Slice(_nope, rd), positions[t]);
            }

        // 2. window kv = kv_norm(wkv x), RoPE; FP8 quantisation happens in the store   [T, D]
        T[] kv = new T[tokens * D];
        _wkv.Forward(x, kv, tokens);
        _kvNorm.ForwardInPlace(kv);
        for (int t = 0; t < tokens; t++) _rope.Apply(kv.AsSpan(t * D + _nope, rd), positions[t]);

        // 3. compressor rows and indexer queries for all tokens                       [T, ...]
        T[]? ckv = null, cscore = null, ikv = null, iscore = null, iq = null, iw = null;
        if (_compressor is not null)
        {
            ckv = new T[tokens * _compressor.Width]; cscore = new T[tokens * _compressor.Width];
            _compressor.Project(x, tokens, ckv, cscore);
        }
        if (_indexer is not null)
        {
            var ic = _indexer.Compressor;
            ikv = new T[tokens * ic.Width]; iscore = new T[tokens * ic.Width];
            ic.Project(x, tokens, ikv, iscore);
            iq = new T[tokens * _indexer.QueryWidth]; iw = new T[tokens * _indexer.Heads];
            _indexer.Queries(qr, x, positions, iq, iw);
        }

        // 4. token by token: update the memory, choose the keys, attend              [T, H, D]
        T[] o = new T[tokens * H * D];
        var work = AttentionScratch<T>.ForThisThread(D, _window, _indexer?.TopK ?? 0);
        for (int t = 0; t < tokens; t++)
        {
            long p = positions[t];
            AttentionState<T> st = states[t];
            // 4a. window row into the ring
            st.Window.Write((int)(p % st.Window.Capacity), kv.AsSpan(t * D, D));
            if (tap) { Span<T> row = work.Row(D); st.Window.Read((int)(p % st.Window.Capacity), row); taps!.Record(_layer, "attn_kv", p, row); }
            // 4b. compressors: a finished block adds one compressed entry (and its indexer key)
            if (_compressor is not null)
            {
                Span<T> entry = work.Entry(D);
                int w = _compressor.Width;
                if (_compressor.Push(p, ckv.AsSpan(t * w, w), cscore.AsSpan(t * w, w), st.CompressorRows!, entry))
                {
                    int j = (int)(p / Ratio);
                    st.Compressed!.EnsureCapacity(j + 1);
                    st.Compressed.Write(j, entry);
                    if (tap) { st.Compressed.Read(j, entry); taps!.Record(_layer, "cmp_kv", j, entry); }
                }
                if (_indexer is not null)
                {
                    var ic = _indexer.Compressor;
                    Span<T> ientry = work.IndexEntry(ic.HeadDim);
                    if (ic.Push(p, ikv.AsSpan(t * ic.Width, ic.Width), iscore.AsSpan(t * ic.Width, ic.Width), st.IndexerRows!, ientry))
                    {
                        int j = (int)(p / Ratio);
                        st.IndexKeys!.EnsureCapacity(j + 1);
                        st.IndexKeys.Write(j, ientry);
                        if (tap) { st.IndexKeys.Read(j, ientry); taps!.Record(_layer, "idx_cmp_kv", j, ientry); }
                    }
                }
                st.CompressedCount = (int)((p + 1) / Ratio);
            }
            // 4c. keys: window positions [p - win + 1, p] and the chosen compressed entries
            int nWin = (int)Math.Min(_window, p + 1);
            int visible = Ratio > 0 ? (int)((p + 1) / Ratio) : 0;
            int nCmp = visible;
            int[] chosen = work.Chosen(visible);
            if (_indexer is not null)
            {
                Span<T> scores = work.Scores(visible);
                nCmp = _indexer.Select(iq.AsSpan(t * _indexer.QueryWidth, _indexer.QueryWidth), iw.AsSpan(t * _indexer.Heads, _indexer.Heads), st.IndexKeys!, visible, scores, chosen);
                if (tap)
                {
                    taps!.Record(_layer, "index_scores", p, scores[..visible]);
                    T[] ids = new T[nCmp];
                    for (int i = 0; i < nCmp; i++) ids[i] = T.CreateTruncating(chosen[i]);
                    taps.Record(_layer, "topk", p, ids);
                }
            }
            else for (int i = 0; i < visible; i++) chosen[i] = i;
            int nKeys = nWin + nCmp;
            Span<T> keys = work.Keys(nKeys);
            for (int i = 0; i < nWin; i++)
            {
                long kp = p - nWin + 1 + i;
                st.Window.Read((int)(kp % st.Window.Capacity), keys.Slice(i * D, D));
            }
            for (int i = 0; i < nCmp; i++) st.Compressed!.Read(chosen[i], keys.Slice((nWin + i) * D, D));

            // 4d. per head: softmax over keys with the sink in the denominator; o = sum p_i kv_i;
            // 4e. inverse RoPE at the query position. Heads run in parallel when the work is large.
            T[] keyRows = work.KeysArray, logits = work.HeadLogits(H * nKeys);
            int qBase = t * H * D;
            if ((long)H * nKeys * D >= 1 << 18 && Environment.ProcessorCount > 1)
                Parallel.For(0, H, h => AttendHead(h, q, qBase, keyRows, nKeys, logits, o, p));
            else
                for (int h = 0; h < H; h++) AttendHead(h, q, qBase, keyRows, nKeys, logits, o, p);
            if (tap)
            {
                taps!.Record(_layer, "attn_q", p, q.AsSpan(t * H * D, H * D));
                taps.Record(_layer, "attn_o", p, o.AsSpan(t * H * D, H * D));
            }
        }

        // 5. grouped low-rank output: u_g = wo_a[g] o_g; y = wo_b concat(u)             [T, dim]
        int gIn = H * D / _groups;
        T[] og = new T[tokens * gIn];
        T[] ug = new T[tokens * _oLora];
        T[] u = new T[tokens * _groups * _oLora];
        for (int g = 0; g < _groups; g++)
        {
            for (int t = 0; t < tokens; t++) o.AsSpan(t * H * D + g * gIn, gIn).CopyTo(og.AsSpan(t * gIn, gIn));
            MatMul.Forward<T>(og, _woA[g], ug, tokens);
            for (int t = 0; t < tokens; t++) ug.AsSpan(t * _oLora, _oLora).CopyTo(u.AsSpan(t * _groups * _oLora + g * _oLora, _oLora));
        }
        _woB.Forward(u, y, tokens);
        if (tap) for (int t = 0; t < tokens; t++) taps!.Record(_layer, "attn_out", positions[t], y.Slice(t * _dim, _dim));
    }
}
