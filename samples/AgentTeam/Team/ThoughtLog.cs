// The run's thought logs: the reasoning content of every model call, kept per agent in the order
// the calls happened, printed at the end agent by agent.
using Microsoft.Extensions.AI;

namespace AgentTeam.Team;

public sealed class ThoughtLog
{
    private readonly List<(string Agent, string Text)> _entries = [];
    private readonly Lock _lock = new();

    public void Add(string agent, IEnumerable<ChatMessage> messages)
    {
        foreach (TextReasoningContent r in messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>())
            if (!string.IsNullOrWhiteSpace(r.Text))
                lock (_lock) _entries.Add((agent, r.Text.Trim()));
    }

    public IReadOnlyList<(string Agent, string Text)> Entries { get { lock (_lock) return [.. _entries]; } }

    public void Print(TextWriter output)
    {
        output.WriteLine("=== thought logs ===");
        foreach (var group in Entries.GroupBy(e => e.Agent))
        {
            output.WriteLine($"--- {group.Key}");
            foreach (var (_, text) in group) output.WriteLine($"  {text.ReplaceLineEndings("\n  ")}");
        }
    }
}
