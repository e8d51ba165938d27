// The sample's entry point, callable from tests: parse the arguments, load the model in-process,
// build the team over one SharpSeekChatClient, run the workflow, print the report and the thought
// logs. Exit code 0 when the plan finished, 1 when it did not, 2 for bad arguments.
using AgentTeam.Team;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using SharpSeek.Extensions.AI;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

namespace AgentTeam;

public static class AgentTeamApp
{
    public const string DefaultGoal = "Use the calculator to find 123 + 321. What time is it in Lisbon? Save lamp 512 under the key black-43. Look up the key black-43.";
    private const string Usage = "usage: AgentTeam [\"goal\"] [--model DIR] [--approve ask|all|none] [--temperature T] [--seed N]";

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        string goal = DefaultGoal, modelDir = FindModel();
        ApprovalMode mode = ApprovalMode.Ask;
        float temperature = 0;
        long seed = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--model": modelDir = Value() ?? ""; break;
                case "--approve":
                    string? m = Value();
                    if (!Enum.TryParse(m, ignoreCase: true, out mode) || m is null || char.IsDigit(m[0])) return Fail(error, $"--approve takes ask, all or none, not '{m}'");
                    break;
                case "--temperature":
                    if (!float.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out temperature) || temperature is < 0 or > 2) return Fail(error, "--temperature takes a number in [0, 2]");
                    break;
                case "--seed":
                    if (!long.TryParse(Value(), out seed)) return Fail(error, "--seed takes an integer");
                    break;
                case "-h" or "--help": output.WriteLine(Usage); return 0;
                default:
                    if (args[i].StartsWith("--")) return Fail(error, $"unknown option {args[i]}");
                    goal = args[i];
                    break;
            }
        }
        if (!Directory.Exists(modelDir)) return Fail(error, $"model directory '{modelDir}' does not exist");

        using ModelDirectory model = ModelDirectory.Open(modelDir, 4096);
        if (model.TokenizerPath is null) return Fail(error, $"{modelDir} has no tokenizer.json; the team needs a trained model");
        using var client = new SharpSeekChatClient(model.Model, Tokenizer.Load(model.TokenizerPath), new SharpSeekChatClientOptions
        {
            ModelId = Path.GetFileName(Path.GetFullPath(modelDir)), DefaultTemperature = temperature,
        });
        var store = new KeyValueStore([new("black-43", "lamp 7")]);
        var team = Specialist.Team(client, store, TimeProvider.System, new ChatOptions { MaxOutputTokens = 200, Seed = seed });
        var planner = new ChatClientAgent(client, new ChatClientAgentOptions
        {
            Name = "planner",
            Description = "Breaks a goal into sub-goals and hands each to the agent that can do it",
            ChatOptions = new ChatOptions
            {
                Instructions = "Break the goal into steps, one per sentence, and give each to one of: " + string.Join(", ", team.Select(s => $"{s.Name} ({s.Agent.Description})")),
                MaxOutputTokens = 400, Seed = seed,
            },
        });
        var gate = new ApprovalGate(mode, input, output);
        var thoughts = new ThoughtLog();
        output.WriteLine($"[goal] {goal}");
        TeamReport report = await new TeamWorkflow(planner, team, gate, thoughts, output).RunAsync(goal, ct);

        output.WriteLine("=== report ===");
        foreach (StepOutcome o in report.Outcomes) output.WriteLine($"{o.Step.Agent}: {o.Step.Task} => {o.Answer}");
        output.WriteLine($"store: {string.Join(", ", store.Snapshot().OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} = {kv.Value}"))}");
        output.WriteLine($"approvals: {gate.Approved} approved, {gate.Rejected} rejected");
        output.WriteLine(report.PlanFinished ? $"plan finished: {report.Outcomes.Count} of {report.Plan.Steps.Count} steps" : $"plan NOT finished: {report.Outcomes.Count} of {report.Plan.Steps.Count} steps");
        thoughts.Print(output);
        return report.PlanFinished ? 0 : 1;
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"error: {message}");
        error.WriteLine(Usage);
        return 2;
    }

    /// <summary>models/default of the repository this runs from (the working directory or above it).</summary>
    private static string FindModel()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (string? d = start; d != null; d = Path.GetDirectoryName(d))
                if (File.Exists(Path.Combine(d, "models", "default", "config.json"))) return Path.Combine(d, "models", "default");
        return Path.Combine("models", "default");
    }
}
