// Losses: mean token cross-entropy over rows with a target (target < 0 = no loss), and a
// weighted sum of scalar losses.
using System.Numerics.Tensors;

namespace SharpSeek.Training.Autograd;

public static class LossOps
{
    /// <summary>mean over rows with targets[r] >= 0 of -log softmax(logits[r])[targets[r]].</summary>
    public static Tensor CrossEntropy(this Tape tape, Tensor logits, int[] targets)
    {
        int n = logits.Rows, v = logits.Cols;
        if (targets.Length != n) throw new ArgumentException($"cross entropy: {targets.Length} targets for {n} rows");
        Tensor loss = Tape.Output(1, 1, logits);
        // 1. per row: lse = log sum exp(logits) (rows in parallel, each row by one worker)
        float[] lse = new float[n];
        Par.For(n, 16, (s, e) =>
        {
            float[] tmp = new float[v];
            for (int r = s; r < e; r++)
            {
                if (targets[r] < 0) continue;
                ReadOnlySpan<float> row = logits.Data.AsSpan(r * v, v);
                float m = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, m, tmp);
                TensorPrimitives.Exp(tmp, tmp);
                lse[r] = m + MathF.Log(TensorPrimitives.Sum(tmp));
            }
        });
        // 2. mean of lse - logit[target] over rows with a target, summed in row order
        int count = 0;
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            if (targets[r] < 0) continue;
            total += lse[r] - logits.Data[r * v + targets[r]];
            count++;
        }
        loss.Data[0] = count == 0 ? 0f : (float)(total / count);
        tape.Record(loss, () =>
        {
            if (count == 0) return;
            // 3. d logits = g * (softmax - onehot(target))
            float g = loss.G[0] / count;
            Par.For(n, 16, (s, e) =>
            {
                float[] p = new float[v];
                for (int r = s; r < e; r++)
                {
                    if (targets[r] < 0) continue;
                    Span<float> gr = logits.G.AsSpan(r * v, v);
                    TensorPrimitives.Subtract(logits.Data.AsSpan(r * v, v), lse[r], p);
                    TensorPrimitives.Exp(p, p);
                    TensorPrimitives.MultiplyAdd(p, g, gr, gr);
                    gr[targets[r]] -= g;
                }
            });
        });
        return loss;
    }

    /// <summary>sum_i weights[i] * losses[i] (scalars).</summary>
    public static Tensor WeightedSum(this Tape tape, IReadOnlyList<Tensor> losses, IReadOnlyList<float> weights)
    {
        Tensor y = Tape.Output(1, 1, losses.Select(l => (Tensor?)l).ToArray());
        for (int i = 0; i < losses.Count; i++) y.Data[0] += weights[i] * losses[i].Data[0];
        tape.Record(y, () =>
        {
            for (int i = 0; i < losses.Count; i++) if (losses[i].RequiresGrad) losses[i].G[0] += weights[i] * y.G[0];
        });
        return y;
    }
}
