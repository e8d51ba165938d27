// The human in the loop for tools that change state (ApprovalRequiredAIFunction: kv_set). Ask:
// show the call and read y/n (end of input counts as no); All / None: decided without asking, for
// non-interactive runs (--approve all|none). Every decision is printed.
using Microsoft.Extensions.AI;

namespace AgentTeam.Team;

public enum ApprovalMode { Ask, All, None }

public sealed class ApprovalGate(ApprovalMode mode, TextReader input, TextWriter output)
{
    public int Approved { get; private set; }
    public int Rejected { get; private set; }

    public ToolApprovalResponseContent Decide(string agent, ToolApprovalRequestContent request)
    {
        string call = Describe(request.ToolCall);
        bool approve = mode switch
        {
            ApprovalMode.All => true,
            ApprovalMode.None => false,
            _ => Ask(agent, call),
        };
        if (approve) Approved++; else Rejected++;
        output.WriteLine($"[approval] {agent}: {call} {(approve ? "APPROVED" : "REJECTED")}{(mode == ApprovalMode.Ask ? "" : $" (--approve {mode.ToString().ToLowerInvariant()})")}");
        return request.CreateResponse(approve, approve ? null : "the user rejected this change");
    }

    private bool Ask(string agent, string call)
    {
        output.Write($"[approval] {agent} wants to run {call}, which changes state. Allow? [y/N] ");
        output.Flush();
        string? answer = input.ReadLine();
        if (answer is null) output.WriteLine("(end of input)");
        return answer?.Trim().ToLowerInvariant() is "y" or "yes";
    }

    public static string Describe(ToolCallContent call) => call is FunctionCallContent f
        ? $"{f.Name}({string.Join(", ", f.Arguments?.Select(a => $"{a.Key}: \"{a.Value}\"") ?? [])})"
        : call.ToString() ?? call.CallId;
}
