// What a goal says, read by plain rules: its sentences (the sub-goals) and the spans inside a
// sentence that a tool argument can take (an arithmetic expression, a city, a colour-number key,
// the value of a "save X under KEY" sentence). The planner's plan schema and each specialist's tool
// schemas are built from these, so a tiny model's constrained output can only name what the goal says.
using System.Text.RegularExpressions;

namespace AgentTeam.Team;

public static partial class SubGoals
{
    /// <summary>The goal's sentences, in order (a sentence ends at . ? or ! followed by a space or the end).</summary>
    public static IReadOnlyList<string> Split(string goal) =>
        SentenceEnd().Split(goal.Trim()).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();

    public static IReadOnlyList<string> Expressions(string subGoal) => Distinct(Expression().Matches(subGoal));
    public static IReadOnlyList<string> Keys(string subGoal) => Distinct(Key().Matches(subGoal));
    /// <summary>Capitalised words after "in" (What time is it in Lisbon?).</summary>
    public static IReadOnlyList<string> Cities(string subGoal) => Distinct(City().Matches(subGoal), group: 1);
    public static bool AsksTime(string subGoal) => TimeWord().IsMatch(subGoal);
    /// <summary>A write: the sentence starts with save, store, set, put or write.</summary>
    public static bool IsWrite(string subGoal) => WriteVerb().IsMatch(subGoal);

    /// <summary>The value of "Save VALUE under (the key) KEY", or null.</summary>
    public static string? WrittenValue(string subGoal) => WriteSentence().Match(subGoal) is { Success: true } m ? m.Groups[1].Value : null;

    private static List<string> Distinct(MatchCollection matches, int group = 0) =>
        matches.Select(m => m.Groups[group].Value).Distinct().ToList();

    [GeneratedRegex(@"(?<=[.?!])\s+")] private static partial Regex SentenceEnd();
    [GeneratedRegex(@"-?\d+\s*[-+*]\s*-?\d+")] private static partial Regex Expression();
    [GeneratedRegex(@"\b[a-z]+-\d+\b")] private static partial Regex Key();
    [GeneratedRegex(@"\bin ([A-Z][a-z]+(?: [A-Z][a-z]+)?)")] private static partial Regex City();
    [GeneratedRegex(@"\b(time|clock)\b", RegexOptions.IgnoreCase)] private static partial Regex TimeWord();
    [GeneratedRegex(@"^(save|store|set|put|write)\b", RegexOptions.IgnoreCase)] private static partial Regex WriteVerb();
    [GeneratedRegex(@"^(?:save|store|set|put|write)\s+(?:the value\s+)?(.+?)\s+(?:under|as|in|at|to)\s+(?:the key\s+)?[a-z]+-\d+", RegexOptions.IgnoreCase)]
    private static partial Regex WriteSentence();
}
