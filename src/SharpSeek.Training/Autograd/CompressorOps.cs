// The compressor's pooling (per-channel softmax over the slots of a block, weighted sum of the
// kv rows; ratio 4 overlaps with the previous block through the first half of the channels) on
// the inference kernel SoftmaxPool, with its backward; the lightning indexer's scores and KL loss.
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

public static class CompressorOps
{
    /// <summary>a, s [B*T, W] (s already holds ape) -> c [B*(T/r), hd]; W = 2 hd when overlapping.</summary>
    public static Tensor CompressorPool(this Tape tape, Tensor a, Tensor s, int batch, int seqLen, int ratio, int hd, bool overlap)
    {
        int M = seqLen / ratio, W = a.Cols, slots = overlap ? 2 * ratio : ratio;
        Tensor c = Tape.Output(batch * M, hd, a, s);
        float[] wts = new float[batch * M * hd * slots];
        int Row(int b, int j, int sl) => overlap
            ? (sl < ratio ? b * seqLen + (j - 1) * ratio + sl : b * seqLen + j * ratio + sl - ratio)
            : b * seqLen + j * ratio + sl;
        int Col(int sl, int ch) => overlap && sl >= ratio ? hd + ch : ch;
        bool Valid(int j, int sl) => !overlap || sl >= ratio || j > 0;
        Par.For(batch * M, 4, (s0, e0) =>
        {
            Span<float> v = stackalloc float[slots];
            for (int e = s0; e < e0; e++)
            {
                int b = e / M, j = e % M;
                for (int ch = 0; ch < hd; ch++)
                {
                    // the inference Compressor's pooling kernel; it leaves the slot weights for the backward
                    Span<float> w = wts.AsSpan((e * hd + ch) * slots, slots);
                    for (int sl = 0; sl < slots; sl++)
                    {
                        bool valid = Valid(j, sl);
                        w[sl] = valid ? s.Data[Row(b, j, sl) * W + Col(sl, ch)] : float.NegativeInfinity;
                        v[sl] = valid ? a.Data[Row(b, j, sl) * W + Col(sl, ch)] : 0f;
                    }
                    c.Data[e * hd + ch] = SoftmaxPool.Channel<float>(w, v);
                }
            }
        });
        tape.Record(c, () =>
        {
            // every (row, column) of a and s belongs to exactly one (entry, channel, slot): no write conflicts
            Par.For(batch * M, 4, (s0, e0) =>
            {
                for (int e = s0; e < e0; e++)
                {
                    int b = e / M, j = e % M;
                    for (int ch = 0; ch < hd; ch++)
                    {
                        float gc = c.G[e * hd + ch];
                        if (gc == 0f) continue;
                        int baseW = (e * hd + ch) * slots;
                        float dot = 0;
                        for (int sl = 0; sl < slots; sl++)
                            if (Valid(j, sl)) dot += wts[baseW + sl] * gc * a.Data[Row(b, j, sl) * W + Col(sl, ch)];
                        for (int sl = 0; sl < slots; sl++)
                        {
                            if (!Valid(j, sl)) continue;
                            int idx = Row(b, j, sl) * W + Col(sl, ch);
                            float wn = wts[baseW + sl];
                            if (a.RequiresGrad) a.G[idx] += gc * wn;
                            if (s.RequiresGrad) s.G[idx] += wn * (gc * a.Data[idx] - dot);
                        }
                    }
                }
            });
        });
        return c;
    }

    /// <summary>
    /// Indexer scores [B*T, M]: score[t, j] = sum_h iw[t, h] ReLU(iq[t, h] . ik[j]) for visible j
    /// (j &lt; (t+1) / ratio), -inf otherwise.
    /// </summary>
    public static Tensor IndexerScores(this Tape tape, Tensor iq, Tensor iw, Tensor ik, int batch, int seqLen, int ratio)
    {
        int ih = iw.Cols, id = ik.Cols, M = seqLen / ratio;
        Tensor sc = Tape.Output(batch * seqLen, M, iq, iw, ik);
        Par.For(batch * seqLen, 8, (s0, e0) =>
        {
            for (int qi = s0; qi < e0; qi++)
            {
                int b = qi / seqLen, t = qi % seqLen, visible = (t + 1) / ratio;
                for (int j = 0; j < M; j++)
                {
                    if (j >= visible) { sc.Data[qi * M + j] = float.NegativeInfinity; continue; }
                    ReadOnlySpan<float> k = ik.Data.AsSpan((b * M + j) * id, id);
                    float s = 0;
                    for (int h = 0; h < ih; h++)
                    {
                        float dot = Elementwise.Dot(iq.Data.AsSpan((qi * ih + h) * id, id), k);
                        if (dot > 0f) s += iw.Data[qi * ih + h] * dot;
                    }
                    sc.Data[qi * M + j] = s;
                }
            }
        });
        tape.Record(sc, () =>
        {
            Par.For(batch, 1, (s0, e0) =>
            {
                for (int b = s0; b < e0; b++)
                    for (int t = 0; t < seqLen; t++)
                    {
                        int qi = b * seqLen + t, visible = (t + 1) / ratio;
                        for (int j = 0; j < visible; j++)
                        {
                            float g = sc.G[qi * M + j];
                            if (g == 0f) continue;
                            ReadOnlySpan<float> k = ik.Data.AsSpan((b * M + j) * id, id);
                            for (int h = 0; h < ih; h++)
                            {
                                ReadOnlySpan<float> qh = iq.Data.AsSpan((qi * ih + h) * id, id);
                                float dot = Elementwise.Dot(qh, k);
                                if (dot <= 0f) continue;
                                float wv = iw.Data[qi * ih + h];
                                if (iw.RequiresGrad) iw.G[qi * ih + h] += g * dot;
                                if (iq.RequiresGrad) Elementwise.AddScaled(iq.G.AsSpan((qi * ih + h) * id, id), k, g * wv);
                                if (ik.RequiresGrad) Elementwise.AddScaled(ik.G.AsSpan((b * M + j) * id, id), qh, g * wv);
                            }
                        }
                    }
            });
        });
        return sc;
    }

    /// <summary>mean over queries with visible entries of KL(target || softmax(scores over visible)).</summary>
    public static Tensor IndexerKl(this Tape tape, Tensor scores, float[][] target)
    {
        int n = scores.Rows, M = scores.Cols;
        Tensor loss = Tape.Output(1, 1, scores);
        var q = new float[n][];
        int count = 0;
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            float[] p = target[r];
            int vis = p?.Length ?? 0;
            if (vis == 0) continue;
            float m = float.NegativeInfinity;
            for (int j = 0; j < vis; j++) m = MathF.Max(m, scores.Data[r * M + j]);
            double z = 0;
            for (int j = 0; j < vis; j++) z += Math.Exp(scores.Data[r * M + j] - m);
            q[r] = new float[vis];
            for (int j = 0; j < vis; j++)
            {
                double lq = scores.Data[r * M + j] - m - Math.Log(z);
                q[r][j] = (float)Math.Exp(lq);
                if (p![j] > 0) total += p[j] * (Math.Log(p[j]) - lq);
            }
            count++;
        }
        loss.Data[0] = count == 0 ? 0f : (float)(total / count);
        tape.Record(loss, () =>
        {
            if (count == 0) return;
            float g = loss.G[0] / count;
            for (int r = 0; r < n; r++)
                if (q[r] is { } qr)
                    for (int j = 0; j < qr.Length; j++) scores.G[r * M + j] += g * (qr[j] - target[r][j]);
        });
        return loss;
    }
}
