// The Agent Framework sample (samples/AgentTeam) run through its entry point, non-interactively,
// on the embedded model: the plan finishes, the approval gate blocks a rejected write (the store
// keeps its value and the later lookup reads it), an approved write lands, the thought logs are
// printed per agent, and bad arguments are refused.
using AgentTeam;
using AgentTeam.Team;
using Microsoft.Extensions.AI;

namespace SharpSeek.Samples.Tests;

public sealed class AgentTeamTests
{
    private static async Task<(int Code, string Output, string Error)> Run(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await AgentTeamApp.RunAsync(args, new StringReader(input), output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Rejected_write_is_blocked_and_the_plan_finishes()
    {
        var (code, output, _) = await Run("", "--approve", "none");
        Assert.Equal(0, code);
        Assert.Contains("plan finished: 4 of 4 steps", output);
        Assert.Contains("[plan] 1. calculator: Use the calculator to find 123 + 321.", output);
        Assert.Contains("[plan] 2. clock: What time is it in Lisbon?", output);
        Assert.Contains("[plan] 3. kv_store: Save lamp 512 under the key black-43.", output);
        Assert.Contains("[approval] kv_store: kv_set(key: \"black-43\", value: \"lamp 512\") REJECTED", output);
        Assert.Contains("store: black-43 = lamp 7", output);
        Assert.Contains("kv_lookup(key: \"black-43\") -> lamp 7", output);
        Assert.Contains("calculator(expression: \"123 + 321\") -> 444", output);
        Assert.Contains("approvals: 0 approved, 1 rejected", output);
        AssertThoughtLogs(output);
    }

    [Fact]
    public async Task Interactive_yes_approves_the_write()
    {
        var (code, output, _) = await Run("y\n");
        Assert.Equal(0, code);
        Assert.Contains("Allow? [y/N]", output);
        Assert.Contains("[approval] kv_store: kv_set(key: \"black-43\", value: \"lamp 512\") APPROVED", output);
        Assert.Contains("kv_lookup(key: \"black-43\") -> lamp 512", output);
        Assert.Contains("store: black-43 = lamp 512", output);
    }

    [Fact]
    public async Task End_of_input_at_the_prompt_rejects()
    {
        var (code, output, _) = await Run("", "Save lamp 9 under the key red-2.");
        Assert.Equal(0, code);
        Assert.Contains("(end of input)", output);
        Assert.Contains("REJECTED", output);
        Assert.DoesNotContain("red-2 = lamp 9", output);
    }

    [Fact]
    public async Task A_sub_goal_no_agent_accepts_is_skipped_not_stuck()
    {
        var (code, output, _) = await Run("", "--approve", "all", "Tell me a story. Use the calculator to find 20 + 22.");
        Assert.Equal(0, code);
        Assert.Contains("[plan] 1. none: Tell me a story.", output);
        Assert.Contains("calculator(expression: \"20 + 22\") -> 42", output);
        Assert.Contains("plan finished: 2 of 2 steps", output);
    }

    [Theory]
    [InlineData("--approve maybe", "--approve takes ask, all or none")]
    [InlineData("--approve", "--approve takes ask, all or none")]
    [InlineData("--model /nonexistent/dir", "model directory '/nonexistent/dir' does not exist")]
    [InlineData("--temperature 9", "--temperature takes a number in [0, 2]")]
    [InlineData("--bogus", "unknown option --bogus")]
    public async Task Bad_arguments_are_refused(string args, string message)
    {
        var (code, _, error) = await Run("", args.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Plan_schema_offers_only_agents_that_accept_the_sub_goal()
    {
        string[] goals = ["What time is it in Paris?", "Look up the key teal-4."];
        string schema = Plan.Schema(goals, Specialist.Team(new NoModel(), new KeyValueStore(), TimeProvider.System, new ChatOptions { MaxOutputTokens = 10 })).GetRawText();
        Assert.Contains("\"step_1\":{\"type\":\"object\"", schema);
        Assert.Contains("\"const\":\"What time is it in Paris?\"},\"agent\":{\"type\":\"string\",\"enum\":[\"clock\"]}", schema);
        Assert.Contains("\"enum\":[\"kv_store\"]", schema);
        Assert.Throws<InvalidDataException>(() => Plan.Parse("{\"step_1\": {\"task\": \"x\"}}", 1));
    }

    private static void AssertThoughtLogs(string output)
    {
        string logs = output[output.IndexOf("=== thought logs ===", StringComparison.Ordinal)..];
        foreach (string agent in new[] { "planner", "calculator", "clock", "kv_store" }) Assert.Contains($"--- {agent}\n  ", logs.ReplaceLineEndings("\n"));
        Assert.Contains("This needs the calculator.", logs);
        Assert.Contains("The tool returned 444.", logs);
    }

    /// <summary>Schemas need no model; a call would be a test bug.</summary>
    private sealed class NoModel : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException("no model");
        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException("no model");
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
