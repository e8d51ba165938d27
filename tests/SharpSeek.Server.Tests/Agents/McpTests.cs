// MCP (serve --mcp): the test MCP server (tests/SharpSeek.McpTestServer: add, echo, calculator)
// attached over stdio: its tools are listed and called; a chat request without tools on the embedded
// model calls the server's calculator, the server runs it and answers with the result (plain and
// streamed); tool_choice naming an MCP tool forces a call of it; a request with its own tools gets
// them, not the server's; and servers that are missing, exit at once or do not speak MCP fail to
// attach with a clear message within the timeout, never a hang.
using System.Text.Json.Nodes;
using SharpSeek.Server.Tools;

namespace SharpSeek.Server.Tests.Agents;

public sealed class McpServerFixture : IAsyncLifetime
{
    public static string Spec => $"dotnet \"{Path.Combine(AppContext.BaseDirectory, "SharpSeek.McpTestServer.dll")}\"";
    public McpToolbox Tools { get; private set; } = null!;

    public async Task InitializeAsync() => Tools = await McpToolbox.AttachAsync([Spec], TimeSpan.FromSeconds(60));
    public async Task DisposeAsync() => await Tools.DisposeAsync();
}

[Collection("nano")]
public sealed class McpTests(NanoFixture nano, McpServerFixture mcp) : IClassFixture<McpServerFixture>
{
    [Fact]
    public void Lists_the_servers_tools_with_their_schemas()
    {
        Assert.Equal(["add", "echo", "calculator"], mcp.Tools.Definitions.Select(d => d.Name));
        string add = mcp.Tools.Definitions[0].Function.GetRawText();
        Assert.Contains("\"a\"", add);
        Assert.Contains("integer", add);
        Assert.All(mcp.Tools.Tools, t => Assert.Equal(McpServerFixture.Spec, t.Spec));
    }

    [Fact]
    public async Task Calls_go_to_the_server_and_failures_come_back_as_error_text()
    {
        Assert.Equal("5", await mcp.Tools.CallAsync("add", "{\"a\": 2, \"b\": 3}", default));
        Assert.Equal("hi there", await mcp.Tools.CallAsync("echo", "{\"text\": \"hi there\"}", default));
        Assert.StartsWith("error: the arguments of add are not a JSON object", await mcp.Tools.CallAsync("add", "[1, 2", default));
        Assert.StartsWith("error: no attached MCP server offers a tool named 'nope'", await mcp.Tools.CallAsync("nope", "{}", default));
        Assert.StartsWith("error:", await mcp.Tools.CallAsync("add", "{\"a\": \"two\", \"b\": 3}", default));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_request_without_tools_is_answered_with_the_servers_calculator(bool stream)
    {
        await using ServerHarness h = await nano.ServeAsync(serverTools: mcp.Tools);
        var response = await h.Client.PostAsync("/v1/chat/completions", Json.Body(new
        {
            model = "default", messages = new[] { new { role = "user", content = "Use the calculator to find 123 + 321." } },
            temperature = 0, max_tokens = 120, stream,
        }));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        JsonNode message;
        if (!stream) message = JsonNode.Parse(text)!["choices"]![0]!["message"]!;
        else
        {
            var chunks = Json.SseData(text).Where(d => d != "[DONE]").Select(d => JsonNode.Parse(d)!).ToList();
            var deltas = chunks.Select(c => c["choices"]!.AsArray().FirstOrDefault()?["delta"]).OfType<JsonNode>().ToList();
            JsonNode Delta(string key) => deltas.Select(d => d[key]).First(v => v is not null)!;
            string Text(string key) => string.Concat(deltas.Select(d => (string?)d[key]));
            message = new JsonObject
            {
                ["content"] = Text("content"),
                ["reasoning_content"] = Text("reasoning_content"),
                ["server_tool_calls"] = Delta("server_tool_calls").DeepClone(),
            };
        }
        JsonArray executed = message["server_tool_calls"]!.AsArray();
        Assert.Single(executed);
        Assert.Equal("calculator", (string?)executed[0]!["name"]);
        Assert.Equal("444", (string?)executed[0]!["output"]);
        Assert.Contains("444", (string?)message["content"]);
        Assert.Contains("This needs the calculator.", (string?)message["reasoning_content"]);
    }

    [Fact]
    public async Task Tool_choice_naming_an_mcp_tool_forces_a_call_of_it()
    {
        await using ServerHarness h = await nano.ServeAsync(serverTools: mcp.Tools);
        var (status, body) = await Json.PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "What is 2 + 3?" } },
            tool_choice = new { type = "function", function = new { name = "add" } }, temperature = 0, max_tokens = 120,
        });
        Assert.Equal(200, status);
        JsonNode executed = body["choices"]![0]!["message"]!["server_tool_calls"]![0]!;
        Assert.Equal("add", (string?)executed["name"]);
        var args = JsonNode.Parse((string)executed["arguments"]!)!;
        Assert.Equal(((int)args["a"]! + (int)args["b"]!).ToString(), (string?)executed["output"]);
    }

    [Fact]
    public async Task A_request_with_its_own_tools_gets_those_not_the_servers()
    {
        await using ServerHarness h = await nano.ServeAsync(serverTools: mcp.Tools);
        var (status, body) = await Json.PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "Use the calculator to find 123 + 321." } },
            tools = new[] { new { type = "function", function = new { name = "calculator", parameters = new { type = "object", properties = new { expression = new { type = "string" } } } } } },
            temperature = 0, max_tokens = 120,
        });
        Assert.Equal(200, status);
        JsonNode message = body["choices"]![0]!["message"]!;
        Assert.Null(message["server_tool_calls"]);
        Assert.Equal("calculator", (string?)message["tool_calls"]![0]!["function"]!["name"]);
        Assert.Equal("tool_calls", (string?)body["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public async Task Tool_choice_none_and_n_above_one()
    {
        await using ServerHarness h = await nano.ServeAsync(serverTools: mcp.Tools);
        var (status, body) = await Json.PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "What is 45 + 23?" } }, tool_choice = "none", temperature = 0, max_tokens = 80,
        });
        Assert.Equal(200, status);
        Assert.Null(body["choices"]![0]!["message"]!["server_tool_calls"]);
        (status, body) = await Json.PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "What is 45 + 23?" } }, n = 2, max_tokens = 8,
        });
        Assert.Equal(400, status);
        Assert.Equal("n", (string?)body["error"]!["param"]);
    }

    // The timeout only matters for the server that never answers; the others fail at once.
    public static TheoryData<string, double, string> BadServers() => new()
    {
        { "no-such-mcp-server --stdio", 60, "command 'no-such-mcp-server' was not found on PATH" },
        { "/no/such/dir/server", 60, "'/no/such/dir/server' does not exist" },
        { "/bin/true", 60, "the server did not start as an MCP server" },
        { "cat", 60, "the server did not start as an MCP server" },
        { "sh -c 'echo not json; echo oops >&2; exec sleep 60'", 2, "no MCP answer within 2 s" },
        { "sh -c 'exit 3", 60, "unterminated ' quote" },
        { "  ", 60, "the command is empty" },
    };

    [Fact]
    public async Task Two_servers_offering_one_tool_name_are_refused()
    {
        var e = await Assert.ThrowsAsync<McpAttachException>(() => McpToolbox.AttachAsync([McpServerFixture.Spec, McpServerFixture.Spec + " "], TimeSpan.FromSeconds(60)));
        Assert.Contains("tool 'add' is also offered by --mcp", e.Message);
    }

    [Theory]
    [MemberData(nameof(BadServers))]
    public async Task A_bad_server_fails_to_attach_with_a_clear_message(string spec, double timeoutSeconds, string message)
    {
        var e = await Assert.ThrowsAsync<McpAttachException>(() => McpToolbox.AttachAsync([spec], TimeSpan.FromSeconds(timeoutSeconds)));
        Assert.StartsWith($"--mcp \"{spec}\": ", e.Message);
        Assert.Contains(message, e.Message);
    }
}
