// Log-softmax of one logits row and the k most likely ids, as OpenAI's logprobs report them: the
// model's own distribution (before temperature and truncation), ties broken by the lower id.
using SharpSeek.Runtime.Generation;

namespace SharpSeek.Runtime.Sampling;

public static class Logprobs
{
    public static TokenLogprob Of(ReadOnlySpan<float> logits, int chosen, int topK)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        float logZ = max + (float)Math.Log(sum);
        var top = new List<(int, float)>();
        if (topK > 0)
        {
            // Partial selection: k passes are cheap for k <= 20.
            var taken = new HashSet<int>();
            for (int r = 0; r < Math.Min(topK, logits.Length); r++)
            {
                int best = -1;
                for (int i = 0; i < logits.Length; i++)
                    if (!taken.Contains(i) && (best < 0 || logits[i] > logits[best])) best = i;
                taken.Add(best);
                top.Add((best, logits[best] - logZ));
            }
        }
        return new TokenLogprob(chosen, logits[chosen] - logZ, top);
    }
}
