// `chat --mcp` and `serve --mcp` with the test MCP server (tests/SharpSeek.McpTestServer): in the chat
// console the embedded model calls the server's calculator, the call and its result are printed and the
// answer quotes it, and /undo drops the whole exchange; `serve --mcp` as a process answers a request
// without tools with the server's tool; a server that is missing, exits at once or does not speak MCP
// stops chat and serve with a clear error and a non-zero exit, as does a bad --mcp-timeout (a server that
// never answers is bounded by the timeout: McpTests in Server.Tests, in-process).
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SharpSeek.Cli.Chat;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Server.Tools;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Cli.Tests;

public sealed class McpCommandTests
{
    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "SharpSeek.McpTestServer.dll");
    private static string Spec => $"dotnet \"{ServerDll}\"";
    private static string Nano => Path.Combine(SharpSeekProcess.Repo, "models", "default");

    [Fact]
    public async Task Chat_console_runs_the_mcp_tool_the_model_calls()
    {
        await using McpToolbox tools = await McpToolbox.AttachAsync([Spec], TimeSpan.FromSeconds(60));
        using ModelDirectory model = ModelDirectory.Open(Nano);
        using var session = new ChatSession(model.Model, Tokenizer.Load(model.TokenizerPath!), new ChatSettings { Sampling = new SamplingOptions { Temperature = 0 }, MaxAnswerTokens = 120 })
        {
            Mode = ThinkingMode.Thinking, Tools = tools.Definitions,
        };
        var output = new StringWriter();
        new ChatConsole(session, new StringReader("Use the calculator to find 123 + 321.\n/undo\n/exit\n"), output, ansi: false, tools).Run();
        string o = output.ToString();
        Assert.Contains("[mcp call] calculator({\"expression\": \"123 + 321\"})", o);
        Assert.Contains("[mcp result] 444", o);
        Assert.Contains("The result is 444.", o[o.IndexOf("[mcp result] 444", StringComparison.Ordinal)..]);
        Assert.Contains("last exchange dropped (0 messages left", o);
    }

    [Fact]
    public void Tool_results_continue_the_session_and_misuse_is_refused()
    {
        using ModelDirectory model = ModelDirectory.Open(Nano);
        using var session = new ChatSession(model.Model, Tokenizer.Load(model.TokenizerPath!), new ChatSettings { Sampling = new SamplingOptions { Temperature = 0 }, MaxAnswerTokens = 120 })
        {
            Mode = ThinkingMode.Thinking,
            Tools = [new ToolDefinition(System.Text.Json.JsonSerializer.SerializeToElement(new { name = "calculator", parameters = new { type = "object", properties = new { expression = new { type = "string" } } } }))],
        };
        Assert.Throws<InvalidOperationException>(() => session.SendToolResults([ChatMessage.ToolResult("call_1_0", "444")]));
        ChatTurn call = session.Send("Use the calculator to find 123 + 321.");
        ToolCall c = Assert.Single(call.Assistant.ToolCalls!);
        Assert.Equal("calculator", c.Name);
        Assert.Equal("call_1_0", c.Id);
        Assert.Throws<ArgumentException>(() => session.SendToolResults([ChatMessage.User("444")]));
        ChatTurn answer = session.SendToolResults([ChatMessage.ToolResult(c.Id!, "444")]);
        Assert.Contains("444", answer.Assistant.Content);
        Assert.Equal(session.MemoryIds.Count, session.Sequence.Length);
        Assert.Equal(4, session.Messages.Count); // user, call, result, answer
        Assert.Throws<InvalidOperationException>(() => session.SendToolResults([ChatMessage.ToolResult(c.Id!, "444")]));
        Assert.True(session.Undo());
        Assert.Empty(session.Messages);
    }

    [Theory]
    [InlineData("chat", "no-such-mcp-server", "30", "--mcp \"no-such-mcp-server\": command 'no-such-mcp-server' was not found on PATH")]
    [InlineData("serve", "/bin/true", "30", "--mcp \"/bin/true\": the server did not start as an MCP server")]
    [InlineData("chat", "cat", "0", "--mcp-timeout must be in (0, 3600] seconds")]
    public void A_bad_mcp_server_stops_the_command_with_a_clear_error(string command, string spec, string timeout, string message)
    {
        string[] port = command == "serve" ? ["--port", "0"] : [];
        var (exit, _, err) = SharpSeekProcess.Run([command, "--model", Nano, .. port, "--mcp", spec, "--mcp-timeout", timeout]);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, err);
    }

    [Fact]
    public async Task Serve_answers_a_request_without_tools_with_the_mcp_tool()
    {
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "sharpseek.dll"), "serve", "--model", Nano, "--port", port.ToString(), "--mcp", Spec, "--mcp-timeout", "60" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        try
        {
            _ = p.StandardOutput.ReadToEndAsync();
            var seen = new StringBuilder();
            // Ready when it says where it serves (a failed start ends stderr instead).
            using var ready = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            for (string? line; (line = await p.StandardError.ReadLineAsync(ready.Token)) is not null;)
            {
                seen.AppendLine(line);
                if (line.StartsWith("serving ", StringComparison.Ordinal)) break;
            }
            string log = seen.ToString();
            Assert.Contains("mcp: tool calculator from", log);
            Assert.Contains("serving 'default'", log);
            _ = p.StandardError.ReadToEndAsync();

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            string body = """{"model": "default", "messages": [{"role": "user", "content": "Use the calculator to find 123 + 321."}], "temperature": 0, "max_tokens": 120}""";
            HttpResponseMessage r = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            string text = await r.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            JsonNode message = JsonNode.Parse(text)!["choices"]![0]!["message"]!;
            Assert.Equal("calculator", (string?)message["server_tool_calls"]![0]!["name"]);
            Assert.Equal("444", (string?)message["server_tool_calls"]![0]!["output"]);
            Assert.Contains("444", (string?)message["content"]);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
