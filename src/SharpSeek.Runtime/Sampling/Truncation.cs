// Temperature and the three truncation steps. Temperature divides logits; top-k keeps the k
// largest; top-p keeps the smallest set of most probable tokens whose probability reaches p;
// min-p keeps tokens with probability >= min_p * (largest probability). Masked tokens get -inf.
// Ties are broken by the lower id so results never depend on sort stability.
namespace SharpSeek.Runtime.Sampling;

public sealed class Temperature : ILogitProcessor
{
    private readonly float _inverse;

    public Temperature(float temperature)
    {
        if (!(temperature > 0) || float.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), "temperature must be > 0 (use greedy for 0)");
        _inverse = 1f / temperature;
    }

    public void Process(Span<float> logits, TokenHistory history)
    {
        for (int i = 0; i < logits.Length; i++) logits[i] *= _inverse;
    }
}

public sealed class TopK : ILogitProcessor
{
    private readonly int _k;
    private int[] _order = [];

    public TopK(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), "top-k must be >= 1");
        _k = k;
    }

    public void Process(Span<float> logits, TokenHistory history)
    {
        if (_k >= logits.Length) return;
        int[] order = LogitOrder.Descending(logits, ref _order);
        for (int r = _k; r < order.Length; r++) logits[order[r]] = float.NegativeInfinity;
    }
}

public sealed class TopP : ILogitProcessor
{
    private readonly double _p;
    private int[] _order = [];
    private float[] _probs = [];

    public TopP(double p)
    {
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), "top-p must be in (0, 1]");
        _p = p;
    }

    public void Process(Span<float> logits, TokenHistory history)
    {
        if (_p >= 1) return;
        if (_probs.Length != logits.Length) _probs = new float[logits.Length];
        Softmax.Compute(logits, _probs);
        int[] order = LogitOrder.Descending(logits, ref _order);
        double cumulative = 0;
        int keep = 0;
        while (keep < order.Length)
        {
            cumulative += _probs[order[keep]];
            keep++;
            if (cumulative >= _p) break;
        }
        for (int r = keep; r < order.Length; r++) logits[order[r]] = float.NegativeInfinity;
    }
}

public sealed class MinP : ILogitProcessor
{
    private readonly double _minP;

    public MinP(double minP)
    {
        if (!(minP >= 0 && minP <= 1)) throw new ArgumentOutOfRangeException(nameof(minP), "min-p must be in [0, 1]");
        _minP = minP;
    }

    public void Process(Span<float> logits, TokenHistory history)
    {
        if (_minP <= 0) return;
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        // p_i >= minP * p_max  <=>  l_i >= l_max + ln(minP)
        double threshold = max + Math.Log(_minP);
        for (int i = 0; i < logits.Length; i++)
            if (logits[i] < threshold) logits[i] = float.NegativeInfinity;
    }
}

/// <summary>Ids ordered by descending logit, ties by ascending id (reuses the caller's buffer).</summary>
internal static class LogitOrder
{
    public static int[] Descending(ReadOnlySpan<float> logits, ref int[] buffer)
    {
        if (buffer.Length != logits.Length) buffer = new int[logits.Length];
        for (int i = 0; i < buffer.Length; i++) buffer[i] = i;
        float[] keys = logits.ToArray();
        Array.Sort(buffer, (a, b) =>
        {
            int c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return buffer;
    }
}
