// The three repetition controls. Repetition penalty (CTRL / Hugging Face): every id seen in prompt
// or output has its logit divided by the penalty when positive, multiplied when negative. Presence
// and frequency penalties (OpenAI): logit -= presence * [count > 0] + frequency * count, counted
// over generated tokens only. Logit bias and the vocabulary limit are fixed per-id edits.
namespace SharpSeek.Runtime.Sampling;

public sealed class RepetitionPenalty : ILogitProcessor
{
    private readonly float _penalty;

    public RepetitionPenalty(float penalty)
    {
        if (!(penalty > 0) || float.IsInfinity(penalty)) throw new ArgumentOutOfRangeException(nameof(penalty), "repetition penalty must be a positive number");
        _penalty = penalty;
    }

    public void Process(Span<float> logits, TokenHistory history)
    {
        foreach (int id in history.AllCounts.Keys)
        {
            if ((uint)id >= (uint)logits.Length) continue;
            float l = logits[id];
            logits[id] = l > 0 ? l / _penalty : l * _penalty;
        }
    }
}

public sealed class PresencePenalty(float penalty) : ILogitProcessor
{
    public void Process(Span<float> logits, TokenHistory history)
    {
        foreach (int id in history.GeneratedCounts.Keys)
            if ((uint)id < (uint)logits.Length) logits[id] -= penalty;
    }
}

public sealed class FrequencyPenalty(float penalty) : ILogitProcessor
{
    public void Process(Span<float> logits, TokenHistory history)
    {
        foreach (var (id, count) in history.GeneratedCounts)
            if ((uint)id < (uint)logits.Length) logits[id] -= penalty * count;
    }
}

/// <summary>Adds a fixed bias to chosen ids (float.NegativeInfinity bans a token).</summary>
public sealed class LogitBias(IReadOnlyDictionary<int, float> bias) : ILogitProcessor
{
    public void Process(Span<float> logits, TokenHistory history)
    {
        foreach (var (id, b) in bias)
            if ((uint)id < (uint)logits.Length) logits[id] += b;
    }
}

/// <summary>Bans every id >= limit (ids the tokenizer cannot decode, e.g. embedding padding).</summary>
public sealed class VocabLimit(int limit) : ILogitProcessor
{
    public void Process(Span<float> logits, TokenHistory history)
    {
        if (limit < logits.Length) logits[limit..].Fill(float.NegativeInfinity);
    }
}
