// Softmax and argmax as the sampler needs them: max-subtracted, summed in double so the result
// does not depend on vector width, -inf entries give exactly 0.
namespace SharpSeek.Runtime.Sampling;

public static class Softmax
{
    /// <summary>probs[i] = exp(l[i] - max) / sum_j exp(l[j] - max).</summary>
    public static void Compute(ReadOnlySpan<float> logits, Span<float> probs)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        if (float.IsNegativeInfinity(max)) throw new InvalidOperationException("every token was masked out");
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double e = float.IsNegativeInfinity(logits[i]) ? 0 : Math.Exp(logits[i] - max);
            probs[i] = (float)e;
            sum += e;
        }
        float inv = (float)(1 / sum);
        for (int i = 0; i < probs.Length; i++) probs[i] *= inv;
    }

    /// <summary>Index of the largest value; the lowest index among equals. NaN never wins.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
            if (values[i] > bestValue) { bestValue = values[i]; best = i; }
        return best;
    }

    /// <summary>Draws an index from <paramref name="probs"/> (need not be normalised) with u in [0, 1).</summary>
    public static int Draw(ReadOnlySpan<float> probs, double u)
    {
        double total = 0;
        foreach (float p in probs) total += p;
        if (!(total > 0)) throw new InvalidOperationException("cannot sample from an all-zero distribution");
        double target = u * total, cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0) continue;
            cumulative += probs[i];
            last = i;
            if (target < cumulative) return i;
        }
        return last;
    }
}
