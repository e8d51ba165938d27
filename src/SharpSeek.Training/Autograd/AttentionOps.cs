// V4 sink attention over a batch of sequences that all start at position 0: each query attends
// its window of kv rows and its chosen compressed entries in one softmax whose denominator also
// holds e^sink. Backward runs per sequence (its keys belong to it), so gradients are
// accumulated in a fixed order. Optionally returns the dense attention mass on every visible
// compressed entry (detached), the indexer's KL target.
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

public sealed record AttentionShape(int Batch, int SeqLen, int Heads, int HeadDim, int Window, int Ratio);

public static class AttentionOps
{
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
        var probs = new float[B * T][];
        Par.For(B * T, 8, (s0, e0) =>
        {
            for (int qi = s0; qi < e0; qi++)
            {
                int b = qi / T, t = qi % T;
                int nWin = Math.Min(win, t + 1);
                int[] ch = chosen?[qi] ?? [];
                int nKeys = nWin + ch.Length;
                float[] p = probs[qi] = new float[H * nKeys];
                for (int h = 0; h < H; h++)
                {
                    ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                    Span<float> ph = p.AsSpan(h * nKeys, nKeys);
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
                if (denseTarget is not null && cmp is not null)
                {
                    int visible = (t + 1) / sh.Ratio;
                    float[] target = denseTarget[qi] = new float[visible];
                    if (visible == 0) continue;
                    for (int h = 0; h < H; h++)
                    {
                        ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                        var sc = new float[nWin + visible];
                        float m = sink.Data[h];
                        for (int i = 0; i < nWin; i++) { sc[i] = Elementwise.Dot(qh, kv.Data.AsSpan((b * T + t - nWin + 1 + i) * D, D)) * scale; m = MathF.Max(m, sc[i]); }
                        for (int j = 0; j < visible; j++) { sc[nWin + j] = Elementwise.Dot(qh, cmp.Data.AsSpan((b * M + j) * D, D)) * scale; m = MathF.Max(m, sc[nWin + j]); }
                        float z = MathF.Exp(sink.Data[h] - m);
                        for (int i = 0; i < sc.Length; i++) z += MathF.Exp(sc[i] - m);
                        for (int j = 0; j < visible; j++) target[j] += MathF.Exp(sc[nWin + j] - m) / z;
                    }
                    float tot = 0;
                    foreach (float v in target) tot += v;
                    for (int j = 0; j < visible; j++) target[j] = tot > 0 ? target[j] / tot : 1f / visible;
                }
            }
        });
        tape.Record(o, () =>
        {
            float[][] sinkParts = new float[B][];
            Par.For(B, 1, (s0, e0) =>
            {
                for (int b = s0; b < e0; b++)
                {
                    float[] gs = sinkParts[b] = new float[H];
                    for (int t = 0; t < T; t++)
                    {
                        int qi = b * T + t, nWin = Math.Min(win, t + 1);
                        int[] ch = chosen?[qi] ?? [];
                        int nKeys = nWin + ch.Length;
                        float[] p = probs[qi];
                        var dp = new float[nKeys];
                        for (int h = 0; h < H; h++)
                        {
                            ReadOnlySpan<float> go = o.G.AsSpan(qi * H * D + h * D, D);
                            ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                            Span<float> ph = p.AsSpan(h * nKeys, nKeys);
                            float sumPd = 0;
                            for (int i = 0; i < nKeys; i++) { dp[i] = Elementwise.Dot(go, Key(kv, cmp, b, T, M, D, t, nWin, ch, i)); sumPd += ph[i] * dp[i]; }
                            float pSink = 1f;
                            foreach (float v in ph) pSink -= v;
                            gs[h] += -pSink * sumPd;
                            for (int i = 0; i < nKeys; i++)
                            {
                                float ds = ph[i] * (dp[i] - sumPd) * scale;
                                Span<float> gk = KeyGrad(kv, cmp, b, T, M, D, t, nWin, ch, i);
                                if (q.RequiresGrad) Elementwise.AddScaled(q.G.AsSpan(qi * H * D + h * D, D), Key(kv, cmp, b, T, M, D, t, nWin, ch, i), ds);
                                if (!gk.IsEmpty) { Elementwise.AddScaled(gk, qh, ds); Elementwise.AddScaled(gk, go, ph[i]); }
                            }
                        }
                    }
                }
            });
            if (sink.RequiresGrad)
                for (int b = 0; b < B; b++)
                    for (int h = 0; h < H; h++) sink.G[h] += sinkParts[b][h];
        });
        return o;
    }

    private static ReadOnlySpan<float> Key(Tensor kv, Tensor? cmp, int b, int T, int M, int D, int t, int nWin, int[] ch, int i) =>
        i < nWin ? kv.Data.AsSpan((b * T + t - nWin + 1 + i) * D, D) : cmp!.Data.AsSpan((b * M + ch[i - nWin]) * D, D);

    private static Span<float> KeyGrad(Tensor kv, Tensor? cmp, int b, int T, int M, int D, int t, int nWin, int[] ch, int i)
    {
        if (i < nWin) return kv.RequiresGrad ? kv.G.AsSpan((b * T + t - nWin + 1 + i) * D, D) : default;
        return cmp!.RequiresGrad ? cmp.G.AsSpan((b * M + ch[i - nWin]) * D, D) : default;
    }
}
