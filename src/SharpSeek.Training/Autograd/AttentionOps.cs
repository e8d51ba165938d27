// V4 sink attention over a batch of sequences that all start at position 0: each query attends
// its window of kv rows and its chosen compressed entries in one softmax whose denominator also
// holds e^sink. Backward runs over fixed chunks of queries (a constant size, never derived from
// the core count): each chunk writes its own q gradient rows and sums kv / cmp / sink gradients
// into private partials, which are then added in chunk order, so the result is the same on every
// run and machine. Optionally returns the dense attention mass on every visible compressed entry
// (detached), the indexer's KL target.
using System.Numerics.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

public sealed record AttentionShape(int Batch, int SeqLen, int Heads, int HeadDim, int Window, int Ratio);

public static class AttentionOps
{
    /// <summary>Queries per backward work item. A constant: the partial sums, hence the rounding, must not depend on the machine.</summary>
    private const int QueryChunk = 64;

    /// <summary>
    /// q [B*T, H*D], kv [B*T, D], cmp [B*M, D] (M = T / ratio, or null), sink [H]; chosen[b*T + t]
    /// lists the compressed entries (indices within the sequence) query t attends -> o [B*T, H*D].
    /// </summary>
    public static Tensor SinkAttention(this Tape tape, Tensor q, Tensor kv, Tensor? cmp, Tensor sink, AttentionShape sh, int[][]? chosen, float[][]? denseTarget = null)
    {
        int B = sh.Batch, T = sh.SeqLen, H = sh.Heads, D = sh.HeadDim, win = sh.Window;
        int M = cmp is null ? 0 : cmp.Rows / B;
        float scale = 1f / MathF.Sqrt(D);
        Tensor o = Tape.Output(B * T, H * D, q, kv, cmp, sink);
        // 1. probabilities of query qi live at probs[pOff[qi] ..], laid out [H, nKeys(qi)]
        var pOff = new int[B * T + 1];
        for (int qi = 0; qi < B * T; qi++) pOff[qi + 1] = pOff[qi] + H * KeyCount(qi % T, win, chosen?[qi]);
        var probs = new float[pOff[B * T]];
        bool wantTarget = denseTarget is not null && cmp is not null;
        // 2. forward per query: softmax over window + chosen keys + sink              o [B*T, H*D]
        Par.For(B * T, 8, (s0, e0) =>
        {
            float[]? sc = wantTarget ? new float[win + T / sh.Ratio] : null;   // dense-target scores, reused
            for (int qi = s0; qi < e0; qi++)
            {
                int b = qi / T, t = qi % T;
                int nWin = Math.Min(win, t + 1);
                int[] ch = chosen?[qi] ?? [];
                int nKeys = nWin + ch.Length;
                for (int h = 0; h < H; h++)
                {
                    ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                    Span<float> ph = probs.AsSpan(pOff[qi] + h * nKeys, nKeys);
                    float m = sink.Data[h];
                    for (int i = 0; i < nKeys; i++)
                    {
                        ph[i] = Elementwise.Dot(qh, Key(kv, cmp, b, T, M, D, t, nWin, ch, i)) * scale;
                        m = MathF.Max(m, ph[i]);
                    }
                    float sum = 0;
                    for (int i = 0; i < nKeys; i++) { ph[i] = MathF.Exp(ph[i] - m); sum += ph[i]; }
                    float denom = sum + MathF.Exp(sink.Data[h] - m);
                    Span<float> oh = o.Data.AsSpan(qi * H * D + h * D, D);
                    for (int i = 0; i < nKeys; i++) { ph[i] /= denom; Elementwise.AddScaled(oh, Key(kv, cmp, b, T, M, D, t, nWin, ch, i), ph[i]); }
                }
                // 3. optional dense KL target over every visible compressed entry        [visible]
                if (wantTarget)
                {
                    int visible = (t + 1) / sh.Ratio;
                    float[] target = denseTarget![qi] = new float[visible];
                    if (visible == 0) continue;
                    for (int h = 0; h < H; h++)
                    {
                        ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                        Span<float> s = sc!.AsSpan(0, nWin + visible);
                        float m = sink.Data[h];
                        for (int i = 0; i < nWin; i++) { s[i] = Elementwise.Dot(qh, kv.Data.AsSpan((b * T + t - nWin + 1 + i) * D, D)) * scale; m = MathF.Max(m, s[i]); }
                        for (int j = 0; j < visible; j++) { s[nWin + j] = Elementwise.Dot(qh, cmp!.Data.AsSpan((b * M + j) * D, D)) * scale; m = MathF.Max(m, s[nWin + j]); }
                        float z = MathF.Exp(sink.Data[h] - m);
                        for (int i = 0; i < s.Length; i++) z += MathF.Exp(s[i] - m);
                        for (int j = 0; j < visible; j++) target[j] += MathF.Exp(s[nWin + j] - m) / z;
                    }
                    float tot = 0;
                    foreach (float v in target) tot += v;
                    for (int j = 0; j < visible; j++) target[j] = tot > 0 ? target[j] / tot : 1f / visible;
                }
            }
        });
        tape.Record(o, () =>
        {
            // 4. one work item per (sequence, chunk of QueryChunk queries), in parallel
            int chunks = (T + QueryChunk - 1) / QueryChunk;
            var parts = new KeyGrads[B * chunks];
            Par.For(B * chunks, 1, (s0, e0) =>
            {
                for (int w = s0; w < e0; w++)
                {
                    int b = w / chunks, t0 = (w % chunks) * QueryChunk;
                    parts[w] = BackwardChunk(b, t0, Math.Min(T, t0 + QueryChunk));
                }
            });
            // 5. fold the partials into kv.G / cmp.G / sink.G in a fixed order (sequence, chunk)
            foreach (KeyGrads g in parts) g.AddTo(kv, cmp, sink);
        });
        return o;

        // Backward of queries [t0, t1) of sequence b: q.G rows directly (they belong to this chunk
        // only), kv / cmp / sink gradients into a fresh partial.
        KeyGrads BackwardChunk(int b, int t0, int t1)
        {
            // a. partial extents: kv rows [t0 - win + 1, t1), cmp rows [0, max chosen + 1)   [rows, D]
            int maxLen = 0, cmpRows = 0;
            for (int t = t0; t < t1; t++)
            {
                int[] ch = chosen?[b * T + t] ?? [];
                maxLen = Math.Max(maxLen, ch.Length);
                foreach (int j in ch) cmpRows = Math.Max(cmpRows, j + 1);
            }
            int kvLo = Math.Max(0, t0 - win + 1);
            var g = new KeyGrads(D, H, b * T + kvLo, kv.RequiresGrad ? t1 - kvLo : 0, b * M, cmp?.RequiresGrad == true ? cmpRows : 0);
            var dp = new float[Math.Min(win, t1) + maxLen];   // dL/dp per key, reused
            for (int t = t0; t < t1; t++)
            {
                int qi = b * T + t, nWin = Math.Min(win, t + 1);
                int[] ch = chosen?[qi] ?? [];
                int nKeys = nWin + ch.Length;
                for (int h = 0; h < H; h++)
                {
                    // b. dp_i = go . key_i; softmax backward against sum_i p_i dp_i (sink gets -p_sink sum)
                    ReadOnlySpan<float> go = o.G.AsSpan(qi * H * D + h * D, D);
                    ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                    ReadOnlySpan<float> ph = probs.AsSpan(pOff[qi] + h * nKeys, nKeys);
                    float sumPd = 0;
                    for (int i = 0; i < nKeys; i++) { dp[i] = Elementwise.Dot(go, Key(kv, cmp, b, T, M, D, t, nWin, ch, i)); sumPd += ph[i] * dp[i]; }
                    float pSink = 1f;
                    foreach (float v in ph) pSink -= v;
                    g.Sink[h] += -pSink * sumPd;
                    // c. dq += ds_i key_i; dkey_i += ds_i q + p_i go                       [D]
                    for (int i = 0; i < nKeys; i++)
                    {
                        float ds = ph[i] * (dp[i] - sumPd) * scale;
                        if (q.RequiresGrad) Elementwise.AddScaled(q.G.AsSpan(qi * H * D + h * D, D), Key(kv, cmp, b, T, M, D, t, nWin, ch, i), ds);
                        Span<float> gk = i < nWin ? g.KvRow(qi - nWin + 1 + i) : g.CmpRow(b * M + ch[i - nWin]);
                        if (!gk.IsEmpty) { Elementwise.AddScaled(gk, qh, ds); Elementwise.AddScaled(gk, go, ph[i]); }
                    }
                }
            }
            return g;
        }
    }

    private static int KeyCount(int t, int win, int[]? ch) => Math.Min(win, t + 1) + (ch?.Length ?? 0);

    private static ReadOnlySpan<float> Key(Tensor kv, Tensor? cmp, int b, int T, int M, int D, int t, int nWin, int[] ch, int i) =>
        i < nWin ? kv.Data.AsSpan((b * T + t - nWin + 1 + i) * D, D) : cmp!.Data.AsSpan((b * M + ch[i - nWin]) * D, D);

    /// <summary>
    /// One backward work item's private gradients: kv rows [kvRow0, kvRow0 + kvRows) and cmp rows
    /// [cmpRow0, cmpRow0 + cmpRows) of the batch (0 rows when that input needs no gradient), sink [H].
    /// </summary>
    private sealed class KeyGrads(int d, int heads, int kvRow0, int kvRows, int cmpRow0, int cmpRows)
    {
        private readonly float[] _kv = new float[kvRows * d], _cmp = new float[cmpRows * d];

        public float[] Sink { get; } = new float[heads];

        public Span<float> KvRow(int row) => _kv.Length == 0 ? default : _kv.AsSpan((row - kvRow0) * d, d);

        public Span<float> CmpRow(int row) => _cmp.Length == 0 ? default : _cmp.AsSpan((row - cmpRow0) * d, d);

        public void AddTo(Tensor kv, Tensor? cmp, Tensor sink)
        {
            if (_kv.Length > 0) Add(kv.G.AsSpan(kvRow0 * d, _kv.Length), _kv);
            if (_cmp.Length > 0) Add(cmp!.G.AsSpan(cmpRow0 * d, _cmp.Length), _cmp);
            if (sink.RequiresGrad) Add(sink.G.AsSpan(0, heads), Sink);
        }

        private static void Add(Span<float> dst, ReadOnlySpan<float> x) => TensorPrimitives.Add(dst, x, dst);
    }
}
