// The tools' own work: integer arithmetic, a clock over a small table of standard-time UTC offsets
// (no daylight saving: a sample, not a time-zone database), and the
// key-value store (the one tool that changes state).
using System.Collections.Concurrent;

namespace AgentTeam.Team;

public static class Tools
{
    private static readonly Dictionary<string, int> UtcOffsetHours = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Lisbon"] = 0, ["London"] = 0, ["Paris"] = 1, ["Berlin"] = 1, ["Rome"] = 1, ["Madrid"] = 1, ["Cairo"] = 2,
        ["Moscow"] = 3, ["Delhi"] = 5, ["Beijing"] = 8, ["Tokyo"] = 9, ["Sydney"] = 10, ["New York"] = -5, ["Chicago"] = -6,
    };

    public static string Calculate(string expression)
    {
        string[] p = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (p.Length == 3 && long.TryParse(p[0], out long a) && long.TryParse(p[2], out long b))
            return p[1] switch { "+" => (a + b).ToString(), "-" => (a - b).ToString(), "*" => (a * b).ToString(), _ => "error: unsupported operator " + p[1] };
        return "error: expected 'a + b', 'a - b' or 'a * b'";
    }

    public static string Clock(string city, TimeProvider time) => UtcOffsetHours.TryGetValue(city, out int h)
        ? time.GetUtcNow().ToOffset(TimeSpan.FromHours(h)).ToString("HH:mm")
        : $"error: no time zone known for {city}";
}

public sealed class KeyValueStore
{
    private readonly ConcurrentDictionary<string, string> _values = new();

    public KeyValueStore(IEnumerable<KeyValuePair<string, string>>? initial = null)
    {
        foreach (var (k, v) in initial ?? []) _values[k] = v;
    }

    public string Get(string key) => _values.TryGetValue(key, out string? v) ? v : "not found";

    public string Set(string key, string value)
    {
        _values[key] = value;
        return "stored";
    }

    public IReadOnlyDictionary<string, string> Snapshot() => new Dictionary<string, string>(_values);
}
