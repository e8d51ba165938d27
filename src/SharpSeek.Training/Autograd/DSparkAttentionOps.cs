// DSpark block attention (V41Attention.ForwardDSpark) with its backward: anchor a's B block queries
// attend, per head, over its window of main-model KV rows (mainCount[a] rows of kvMain from
// mainStart[a]) and over ALL of its own B block KV rows (no causal mask inside the block), in one
// softmax whose denominator also holds e^sink. Windows of neighbouring anchors overlap, so the
// backward sums each anchor's main-row and sink gradients into its own partial and folds the partials
// in anchor order: the result does not depend on the core count.
using System.Numerics.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

/// <summary>Where each anchor's keys are: its window rows [MainStart, MainStart + MainCount) of the main KV rows; B block rows per anchor.</summary>
public sealed record DSparkSpans(int[] MainStart, int[] MainCount, int BlockSize)
{
    public int Anchors => MainStart.Length;
}

public static class DSparkAttentionOps
{
    /// <summary>q [A*B, H*D], kvMain [M, D], kvBlock [A*B, D], sink [H] -> o [A*B, H*D].</summary>
    public static Tensor DSparkAttention(this Tape tape, Tensor q, Tensor kvMain, Tensor kvBlock, Tensor sink, int heads, DSparkSpans spans)
    {
        int A = spans.Anchors, B = spans.BlockSize, H = heads, D = kvBlock.Cols;
        if (q.Rows != A * B || kvBlock.Rows != A * B || q.Cols != H * D) throw new ArgumentException($"DSpark attention: q [{q.Rows}, {q.Cols}], block kv [{kvBlock.Rows}, {kvBlock.Cols}] for {A} anchors x {B} rows x {H} heads");
        for (int a = 0; a < A; a++)
            if (spans.MainStart[a] < 0 || spans.MainCount[a] < 0 || spans.MainStart[a] + spans.MainCount[a] > kvMain.Rows)
                throw new ArgumentOutOfRangeException(nameof(spans), $"anchor {a}: window rows [{spans.MainStart[a]}, +{spans.MainCount[a]}) outside the {kvMain.Rows} main rows");
        float scale = 1f / MathF.Sqrt(D);
        Tensor o = Tape.Output(A * B, H * D, q, kvMain, kvBlock, sink);
        // 1. probabilities of anchor a, query i, head h at pOff[a] + (i * H + h) * nKeys(a)
        var pOff = new int[A + 1];
        for (int a = 0; a < A; a++) pOff[a + 1] = pOff[a] + B * H * (spans.MainCount[a] + B);
        var probs = new float[pOff[A]];
        // 2. forward per anchor: softmax over window + block keys + sink                   o [A*B, H*D]
        Par.For(A, 1, (s0, e0) =>
        {
            for (int a = s0; a < e0; a++)
            {
                int n = spans.MainCount[a], keys = n + B;
                for (int i = 0; i < B; i++)
                    for (int h = 0; h < H; h++)
                    {
                        int qi = a * B + i;
                        ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                        Span<float> ph = probs.AsSpan(pOff[a] + (i * H + h) * keys, keys);
                        float m = sink.Data[h];
                        for (int j = 0; j < keys; j++) { ph[j] = Elementwise.Dot(qh, Key(j)) * scale; m = MathF.Max(m, ph[j]); }
                        float sum = 0;
                        for (int j = 0; j < keys; j++) { ph[j] = MathF.Exp(ph[j] - m); sum += ph[j]; }
                        float denom = sum + MathF.Exp(sink.Data[h] - m);
                        Span<float> oh = o.Data.AsSpan(qi * H * D + h * D, D);
                        for (int j = 0; j < keys; j++) { ph[j] /= denom; Elementwise.AddScaled(oh, Key(j), ph[j]); }
                    }

                ReadOnlySpan<float> Key(int j) => j < n ? kvMain.Data.AsSpan((spans.MainStart[a] + j) * D, D) : kvBlock.Data.AsSpan((a * B + j - n) * D, D);
            }
        });
        tape.Record(o, () =>
        {
            // 3. per anchor: q and block-kv gradient rows directly (the anchor owns them); window rows and sink into partials
            var mainParts = new float[A][];
            var sinkParts = new float[A][];
            Par.For(A, 1, (s0, e0) =>
            {
                for (int a = s0; a < e0; a++)
                {
                    int n = spans.MainCount[a], keys = n + B;
                    float[] gMain = mainParts[a] = kvMain.RequiresGrad ? new float[n * D] : [];
                    float[] gSink = sinkParts[a] = new float[H];
                    var dp = new float[keys];
                    for (int i = 0; i < B; i++)
                        for (int h = 0; h < H; h++)
                        {
                            int qi = a * B + i;
                            ReadOnlySpan<float> go = o.G.AsSpan(qi * H * D + h * D, D);
                            ReadOnlySpan<float> qh = q.Data.AsSpan(qi * H * D + h * D, D);
                            ReadOnlySpan<float> ph = probs.AsSpan(pOff[a] + (i * H + h) * keys, keys);
                            // a. dp_j = go . key_j; sink gets -p_sink sum_j p_j dp_j
                            float sumPd = 0, pSink = 1f;
                            for (int j = 0; j < keys; j++) { dp[j] = Elementwise.Dot(go, Key(j)); sumPd += ph[j] * dp[j]; pSink -= ph[j]; }
                            gSink[h] += -pSink * sumPd;
                            // b. dq += ds_j key_j; dkey_j += ds_j q + p_j go
                            for (int j = 0; j < keys; j++)
                            {
                                float ds = ph[j] * (dp[j] - sumPd) * scale;
                                if (q.RequiresGrad) Elementwise.AddScaled(q.G.AsSpan(qi * H * D + h * D, D), Key(j), ds);
                                Span<float> gk = j < n ? (gMain.Length == 0 ? default : gMain.AsSpan(j * D, D))
                                    : kvBlock.RequiresGrad ? kvBlock.G.AsSpan((a * B + j - n) * D, D) : default;
                                if (!gk.IsEmpty) { Elementwise.AddScaled(gk, qh, ds); Elementwise.AddScaled(gk, go, ph[j]); }
                            }
                        }

                    ReadOnlySpan<float> Key(int j) => j < n ? kvMain.Data.AsSpan((spans.MainStart[a] + j) * D, D) : kvBlock.Data.AsSpan((a * B + j - n) * D, D);
                }
            });
            // 4. fold the partials in anchor order
            for (int a = 0; a < A; a++)
            {
                if (mainParts[a].Length > 0)
                {
                    Span<float> dst = kvMain.G.AsSpan(spans.MainStart[a] * D, mainParts[a].Length);
                    TensorPrimitives.Add(dst, mainParts[a], dst);
                }
                if (sink.RequiresGrad) TensorPrimitives.Add(sink.G.AsSpan(0, H), sinkParts[a], sink.G.AsSpan(0, H));
            }
        });
        return o;
    }
}
