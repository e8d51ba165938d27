// Losses: mean token cross-entropy over rows with a target (target < 0 = no loss), and a
// weighted sum of scalar losses.
namespace SharpSeek.Training.Autograd;

public static class LossOps
{
    /// <summary>mean over rows with targets[r] >= 0 of -log softmax(logits[r])[targets[r]].</summary>
    public static Tensor CrossEntropy(this Tape tape, Tensor logits, int[] targets)
    {
        int n = logits.Rows, v = logits.Cols;
        if (targets.Length != n) throw new ArgumentException($"cross entropy: {targets.Length} targets for {n} rows");
        Tensor loss = Tape.Output(1, 1, logits);
        int count = 0;
        double total = 0;
        float[] lse = new float[n];
        for (int r = 0; r < n; r++)
        {
            if (targets[r] < 0) continue;
            ReadOnlySpan<float> row = logits.Data.AsSpan(r * v, v);
            float m = float.NegativeInfinity;
            foreach (float x in row) m = MathF.Max(m, x);
            double s = 0;
            foreach (float x in row) s += Math.Exp(x - m);
            lse[r] = m + (float)Math.Log(s);
            total += lse[r] - row[targets[r]];
            count++;
        }
        loss.Data[0] = count == 0 ? 0f : (float)(total / count);
        tape.Record(loss, () =>
        {
            if (count == 0) return;
            float g = loss.G[0] / count;
            Par.For(n, 16, (s, e) =>
            {
                for (int r = s; r < e; r++)
                {
                    if (targets[r] < 0) continue;
                    for (int i = 0; i < v; i++) logits.G[r * v + i] += g * MathF.Exp(logits.Data[r * v + i] - lse[r]);
                    logits.G[r * v + targets[r]] -= g;
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
