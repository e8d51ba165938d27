// The plan the planner writes and the state the team passes along the workflow. The plan's JSON
// Schema is built from the goal: one property per sub-goal (step_1, step_2, ...), each with the
// sub-goal as a const and the agent as an enum of the specialists that declare they can take it
// ("none" when no specialist can), so the constrained output is always a complete, feasible plan.
using System.Collections.Immutable;
using System.Text.Json;

namespace AgentTeam.Team;

public sealed record PlanStep(string Task, string Agent);

public sealed record Plan(IReadOnlyList<PlanStep> Steps)
{
    public const string Unassigned = "none";

    /// <summary>The response schema for <paramref name="subGoals"/> given who accepts what.</summary>
    public static JsonElement Schema(IReadOnlyList<string> subGoals, IReadOnlyList<Specialist> team)
    {
        var properties = new Dictionary<string, object>();
        for (int i = 0; i < subGoals.Count; i++)
        {
            string[] agents = team.Where(s => s.Accepts(subGoals[i])).Select(s => s.Name).ToArray();
            properties[$"step_{i + 1}"] = new
            {
                type = "object", additionalProperties = false, required = new[] { "task", "agent" },
                properties = new Dictionary<string, object>
                {
                    ["task"] = new Dictionary<string, object> { ["type"] = "string", ["const"] = subGoals[i] },
                    ["agent"] = new Dictionary<string, object> { ["type"] = "string", ["enum"] = agents.Length > 0 ? agents : [Unassigned] },
                },
            };
        }
        return JsonSerializer.SerializeToElement(new { type = "object", additionalProperties = false, required = properties.Keys.ToArray(), properties });
    }

    /// <summary>Reads the planner's JSON (step_1, step_2, ... in order); a malformed plan is an error naming what is wrong.</summary>
    public static Plan Parse(string json, int expectedSteps)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        var steps = new List<PlanStep>();
        for (int i = 1; i <= expectedSteps; i++)
        {
            if (!doc.RootElement.TryGetProperty($"step_{i}", out JsonElement s)
                || !s.TryGetProperty("task", out JsonElement task) || !s.TryGetProperty("agent", out JsonElement agent))
                throw new InvalidDataException($"the plan has no complete step_{i}: {json}");
            steps.Add(new PlanStep(task.GetString()!, agent.GetString()!));
        }
        return new Plan(steps);
    }
}

public sealed record StepOutcome(PlanStep Step, string Answer, IReadOnlyList<string> ToolCalls);

/// <summary>What flows round the workflow: the plan, the next step, what is done.</summary>
public sealed record Progress(string Goal, Plan Plan, int Next, ImmutableList<StepOutcome> Done)
{
    public bool Finished => Next >= Plan.Steps.Count;
    public PlanStep Current => Plan.Steps[Next];
}

/// <summary>The workflow's output.</summary>
public sealed record TeamReport(string Goal, Plan Plan, IReadOnlyList<StepOutcome> Outcomes)
{
    public bool PlanFinished => Outcomes.Count == Plan.Steps.Count;
}
