// The tokens a sampler may look at: the prompt and the tokens generated so far, with per-token
// counts kept incrementally so penalties cost O(distinct tokens) per step, not O(context).
namespace SharpSeek.Runtime.Sampling;

public sealed class TokenHistory
{
    private readonly List<int> _prompt = new();
    private readonly List<int> _generated = new();
    private readonly Dictionary<int, int> _generatedCounts = new();
    private readonly Dictionary<int, int> _allCounts = new();

    public TokenHistory(ReadOnlySpan<int> prompt = default)
    {
        foreach (int id in prompt) AddPrompt(id);
    }

    public IReadOnlyList<int> Prompt => _prompt;
    public IReadOnlyList<int> Generated => _generated;
    /// <summary>Occurrences of each id among the generated tokens (presence / frequency penalties).</summary>
    public IReadOnlyDictionary<int, int> GeneratedCounts => _generatedCounts;
    /// <summary>Occurrences of each id in prompt + generated tokens (repetition penalty).</summary>
    public IReadOnlyDictionary<int, int> AllCounts => _allCounts;

    public void AddPrompt(int id)
    {
        _prompt.Add(id);
        _allCounts[id] = _allCounts.GetValueOrDefault(id) + 1;
    }

    public void AddGenerated(int id)
    {
        _generated.Add(id);
        _generatedCounts[id] = _generatedCounts.GetValueOrDefault(id) + 1;
        _allCounts[id] = _allCounts.GetValueOrDefault(id) + 1;
    }
}
