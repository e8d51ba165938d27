// A forced continuation as a logit processor, the way tool_choice "required" or a named function is
// enforced: once the generated ids end with Trigger (at once when Trigger is empty), the next ids
// are Ids, in order, whatever the model prefers; then sampling resumes. Every other id is masked to
// -inf, so greedy and sampled decoding both take the forced id and speculative verification agrees.
// It reads only the history, so drafts and their verification see the same decision.
namespace SharpSeek.Runtime.Sampling;

public sealed record ForcedTokens(IReadOnlyList<int> Trigger, IReadOnlyList<int> Ids) : ILogitProcessor
{
    public void Process(Span<float> logits, TokenHistory history)
    {
        int? forced = Next(history.Generated);
        if (forced is not int id) return;
        if ((uint)id >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(logits), $"forced id {id} is outside the vocabulary of {logits.Length}");
        float keep = float.IsFinite(logits[id]) ? logits[id] : 0f;
        logits.Fill(float.NegativeInfinity);
        logits[id] = keep;
    }

    /// <summary>The id the next position must take given the generated ids, or null to sample freely.</summary>
    public int? Next(IReadOnlyList<int> generated)
    {
        // The forcing starts after the first occurrence of the trigger and happens once.
        int end = TriggerEnd(Trigger, generated);
        if (end < 0) return null;
        int k = generated.Count - end;
        return k < Ids.Count ? Ids[k] : null;
    }

    /// <summary>The index just after the first occurrence of <paramref name="trigger"/> in <paramref name="g"/> (0 when empty), or -1.</summary>
    public static int TriggerEnd(IReadOnlyList<int> trigger, IReadOnlyList<int> g)
    {
        int n = trigger.Count;
        for (int end = n; end <= g.Count; end++)
        {
            bool match = true;
            for (int i = 0; i < n && match; i++) match = g[end - n + i] == trigger[i];
            if (match) return end;
        }
        return -1;
    }
}
