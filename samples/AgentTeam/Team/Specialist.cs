// A specialised agent: a Microsoft Agent Framework ChatClientAgent over the shared in-process
// SharpSeekChatClient (the agent puts FunctionInvokingChatClient in front of it, so tools run in the
// agent's loop), what sub-goals it accepts, and its tools for one sub-goal. Each tool's arguments are
// constrained to the spans the sub-goal contains (SubGoals), and the call is required (ToolMode
// RequireSpecific, one call); FunctionInvokingChatClient drops the requirement after the call, so the
// agent then answers from the tool's result.
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace AgentTeam.Team;

public sealed class Specialist
{
    private readonly Func<string, bool> _accepts;
    private readonly Func<string, (IList<AITool> Tools, string Required)> _tools;

    public Specialist(IChatClient client, string name, string description, Func<string, bool> accepts,
        Func<string, (IList<AITool> Tools, string Required)> tools, ChatOptions defaults)
    {
        Name = name;
        _accepts = accepts;
        _tools = tools;
        ChatOptions options = defaults.Clone();
        options.AllowMultipleToolCalls = false;
        Agent = new ChatClientAgent(client, new ChatClientAgentOptions { Name = name, Description = description, ChatOptions = options });
    }

    public string Name { get; }
    public ChatClientAgent Agent { get; }
    public bool Accepts(string subGoal) => _accepts(subGoal);

    /// <summary>Run options for one sub-goal: its tools, the one it must call.</summary>
    public ChatClientAgentRunOptions RunOptions(string subGoal)
    {
        var (tools, required) = _tools(subGoal);
        return new ChatClientAgentRunOptions(new ChatOptions { Tools = tools, ToolMode = ChatToolMode.RequireSpecific(required) });
    }

    /// <summary>The team: calculator, clock, key-value store (kv_set needs a human's approval).</summary>
    /// <param name="defaults">Every specialist's chat options (output budget, seed); one tool call per answer is added.</param>
    public static IReadOnlyList<Specialist> Team(IChatClient client, KeyValueStore store, TimeProvider time, ChatOptions defaults) =>
    [
        new(client, "calculator", "Evaluates a + b, a - b, a * b", s => SubGoals.Expressions(s).Count > 0,
            s => ([Tool.Create("calculator", "Evaluates a + b, a - b or a * b", (string expression) => Tools.Calculate(expression),
                ("expression", SubGoals.Expressions(s)))], "calculator"), defaults),
        new(client, "clock", "The local time in a city", s => SubGoals.AsksTime(s) && SubGoals.Cities(s).Count > 0,
            s => ([Tool.Create("clock", "Local time in a city", (string city) => Tools.Clock(city, time), ("city", SubGoals.Cities(s)))], "clock"), defaults),
        new(client, "kv_store", "Reads and writes a key-value store", s => SubGoals.Keys(s).Count > 0,
            s => ([
                Tool.Create("kv_lookup", "Looks a key up in the store", (string key) => store.Get(key), ("key", SubGoals.Keys(s))),
                new ApprovalRequiredAIFunction(Tool.Create("kv_set", "Writes a value under a key (changes state)", (string key, string value) => store.Set(key, value),
                    ("key", SubGoals.Keys(s)), ("value", SubGoals.WrittenValue(s) is string v ? [v] : null))),
            ], SubGoals.IsWrite(s) ? "kv_set" : "kv_lookup"), defaults),
    ];
}

/// <summary>An AIFunction whose declared string parameters are narrowed to enums (null: free text).</summary>
internal sealed class Tool(AIFunction inner, JsonElement schema) : DelegatingAIFunction(inner)
{
    public override JsonElement JsonSchema => schema;

    public static AIFunction Create(string name, string description, Delegate method, params (string Name, IReadOnlyList<string>? Values)[] parameters)
    {
        AIFunction f = AIFunctionFactory.Create(method, name, description);
        var properties = parameters.ToDictionary(p => p.Name, p => p.Values is { Count: > 0 } values
            ? (object)new Dictionary<string, object> { ["type"] = "string", ["enum"] = values }
            : new Dictionary<string, object> { ["type"] = "string" });
        return new Tool(f, JsonSerializer.SerializeToElement(new
        {
            type = "object", properties, required = parameters.Select(p => p.Name).ToArray(), additionalProperties = false,
        }));
    }
}
