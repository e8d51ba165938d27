// The run as a Microsoft Agent Framework workflow (Microsoft.Agents.AI.Workflows):
//
//   goal -> planner -> dispatcher -(step's agent)-> calculator | clock | kv_store | unassigned
//                          ^                                       |
//                          +------------- Progress ----------------+
//
// 1. planner: the planner agent writes the plan as JSON constrained by Plan.Schema (ResponseFormat
//    json_schema), so it always names every sub-goal once and an agent that accepts it.
// 2. dispatcher: hands the next step to its agent along a conditional edge, or yields the report.
// 3. specialists: run the step (the tool call, a human approval for a state change, the answer)
//    and send the progress back to the dispatcher.
using System.Collections.Immutable;
using Microsoft.Agents.AI;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Extensions.AI;

namespace AgentTeam.Team;

public sealed class TeamWorkflow(ChatClientAgent planner, IReadOnlyList<Specialist> team, ApprovalGate gate, ThoughtLog thoughts, TextWriter output)
{
    private const int MaxApprovalRounds = 4;

    public Workflow Build()
    {
        var plannerExec = new FunctionExecutor<string, Progress>("planner", (goal, _, ct) => PlanAsync(goal, ct), sentMessageTypes: [typeof(Progress)]);
        var dispatcher = new FunctionExecutor<Progress>("dispatcher", async (p, ctx, ct) =>
        {
            if (p.Finished) await ctx.YieldOutputAsync(new TeamReport(p.Goal, p.Plan, p.Done), ct);
            else await ctx.SendMessageAsync(p, cancellationToken: ct);
        }, sentMessageTypes: [typeof(Progress)], outputTypes: [typeof(TeamReport)]);
        ExecutorBinding plannerBinding = plannerExec.BindExecutor(), dispatcherBinding = dispatcher.BindExecutor();

        var builder = new WorkflowBuilder(plannerBinding).AddEdge(plannerBinding, dispatcherBinding);
        foreach (Specialist s in team)
        {
            ExecutorBinding exec = new FunctionExecutor<Progress, Progress>(s.Name, (p, _, ct) => RunStepAsync(s, p, ct), sentMessageTypes: [typeof(Progress)]).BindExecutor();
            builder.AddEdge<Progress>(dispatcherBinding, exec, p => p is { Finished: false } && p.Current.Agent == s.Name);
            builder.AddEdge(exec, dispatcherBinding);
        }
        ExecutorBinding unassigned = new FunctionExecutor<Progress, Progress>(Plan.Unassigned, (p, _, _) =>
        {
            output.WriteLine($"[skip] no agent can take \"{p.Current.Task}\"");
            return ValueTask.FromResult(Advance(p, new StepOutcome(p.Current, "skipped: no agent can take this sub-goal", [])));
        }, sentMessageTypes: [typeof(Progress)]).BindExecutor();
        builder.AddEdge<Progress>(dispatcherBinding, unassigned, p => p is { Finished: false } && p.Current.Agent == Plan.Unassigned);
        builder.AddEdge(unassigned, dispatcherBinding);
        return builder.WithOutputFrom(dispatcherBinding).WithName("agent-team").Build();
    }

    /// <summary>Runs the workflow on <paramref name="goal"/>; a failed executor is an error naming it.</summary>
    public async Task<TeamReport> RunAsync(string goal, CancellationToken ct = default)
    {
        await using Run run = await InProcessExecution.RunAsync(Build(), goal, cancellationToken: ct);
        TeamReport? report = null;
        foreach (WorkflowEvent e in run.OutgoingEvents)
        {
            if (e is WorkflowOutputEvent o && o.Is(out TeamReport? r)) report = r;
            else if (e is ExecutorFailedEvent f) throw new InvalidOperationException($"agent '{f.ExecutorId}' failed: {f.Data}", f.Data as Exception);
            else if (e is WorkflowErrorEvent w) throw new InvalidOperationException($"the workflow failed: {w.Data}", w.Data as Exception);
        }
        return report ?? throw new InvalidOperationException("the workflow ended without a report");
    }

    private async ValueTask<Progress> PlanAsync(string goal, CancellationToken ct)
    {
        IReadOnlyList<string> subGoals = SubGoals.Split(goal);
        if (subGoals.Count == 0) throw new ArgumentException("the goal is empty");
        var options = new ChatClientAgentRunOptions(new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(Plan.Schema(subGoals, team), "plan") });
        AgentResponse response = await planner.RunAsync(goal, options: options, cancellationToken: ct);
        thoughts.Add("planner", response.Messages);
        Plan plan = Plan.Parse(response.Text, subGoals.Count);
        output.WriteLine($"[planner] {response.Text}");
        for (int i = 0; i < plan.Steps.Count; i++) output.WriteLine($"[plan] {i + 1}. {plan.Steps[i].Agent}: {plan.Steps[i].Task}");
        return new Progress(goal, plan, 0, []);
    }

    private async ValueTask<Progress> RunStepAsync(Specialist s, Progress p, CancellationToken ct)
    {
        PlanStep step = p.Current;
        output.WriteLine($"[{s.Name}] step {p.Next + 1}: {step.Task}");
        AgentSession session = await s.Agent.CreateSessionAsync(ct);
        ChatClientAgentRunOptions options = s.RunOptions(step.Task);
        AgentResponse response = await s.Agent.RunAsync(step.Task, session, options, ct);
        var messages = new List<ChatMessage>(response.Messages);
        for (int round = 0; round < MaxApprovalRounds; round++)
        {
            var requests = response.Messages.SelectMany(m => m.Contents).OfType<ToolApprovalRequestContent>().ToList();
            if (requests.Count == 0) break;
            var answers = requests.Select(r => (AIContent)gate.Decide(s.Name, r)).ToList();
            // The call is made; what follows is the answer (the tool is no longer required).
            var next = new ChatClientAgentRunOptions(new ChatOptions { Tools = options.ChatOptions!.Tools, ToolMode = ChatToolMode.Auto });
            response = await s.Agent.RunAsync(new ChatMessage(ChatRole.User, answers), session, next, ct);
            messages.AddRange(response.Messages);
        }
        thoughts.Add(s.Name, messages);
        var calls = Calls(messages);
        foreach (string c in calls) output.WriteLine($"[{s.Name}] tool {c}");
        string answer = response.Text.Trim();
        output.WriteLine($"[{s.Name}] answer: {answer}");
        return Advance(p, new StepOutcome(step, answer, calls));
    }

    private static Progress Advance(Progress p, StepOutcome outcome) => p with { Next = p.Next + 1, Done = p.Done.Add(outcome) };

    /// <summary>"name(args) -> result" for every function call in <paramref name="messages"/>.</summary>
    private static List<string> Calls(List<ChatMessage> messages)
    {
        var contents = messages.SelectMany(m => m.Contents).ToList();
        var results = contents.OfType<FunctionResultContent>().GroupBy(r => r.CallId).ToDictionary(g => g.Key, g => g.Last().Result);
        return contents.OfType<FunctionCallContent>().GroupBy(c => c.CallId).Select(g => g.First())
            .Select(c => $"{ApprovalGate.Describe(c)} -> {(results.TryGetValue(c.CallId, out object? r) ? r?.ToString() : "(not run)")}").ToList();
    }
}
