// A forced continuation, the way tool_choice "required" or a named function is enforced: once the
// generated ids end with Trigger (at once when Trigger is empty), the next ids are Ids, in order,
// whatever the model's logits say; then sampling resumes. Forced ids are streamed and counted
// like sampled ones (their logprobs are the model's), and the forcing happens at most once.
namespace SharpSeek.Server.Scheduling;

public sealed record ForcedTokens(IReadOnlyList<int> Trigger, IReadOnlyList<int> Ids);

/// <summary>Where one sequence stands in its forced continuation.</summary>
internal sealed class ForcedCursor(ForcedTokens forced)
{
    private readonly List<int> _generated = [];
    private int _next = -1;   // index into forced.Ids once triggered; -1 = waiting for the trigger

    /// <summary>The id to emit instead of sampling, or null to sample.</summary>
    public int? Next()
    {
        if (_next < 0 && EndsWithTrigger()) _next = 0;
        return _next >= 0 && _next < forced.Ids.Count ? forced.Ids[_next++] : null;
    }

    public void Emitted(int id)
    {
        if (_next < 0) _generated.Add(id);
    }

    private bool EndsWithTrigger()
    {
        IReadOnlyList<int> t = forced.Trigger;
        if (t.Count > _generated.Count) return false;
        for (int i = 0; i < t.Count; i++)
            if (_generated[_generated.Count - t.Count + i] != t[i]) return false;
        return true;
    }
}
