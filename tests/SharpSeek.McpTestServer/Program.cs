// A small Model Context Protocol server over stdio for the --mcp tests (`dotnet SharpSeek.McpTestServer.dll`):
// add, echo, and calculator (the tool sharpseek-nano was trained to call, so a real chat turn on the
// embedded model reaches it). Every call is also appended to the file named by MCP_TEST_CALL_LOG, if set,
// so a test can see that the server, not the model, produced a result.
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

string? callLog = Environment.GetEnvironmentVariable("MCP_TEST_CALL_LOG");
void Log(string line)
{
    if (callLog is not null) File.AppendAllText(callLog, line + "\n");
}

var options = new McpServerOptions
{
    ServerInfo = new Implementation { Name = "sharpseek-test-mcp", Version = "1.0.0" },
    ToolCollection =
    [
        McpServerTool.Create((int a, int b) => { Log($"add {a} {b}"); return (a + b).ToString(); },
            new McpServerToolCreateOptions { Name = "add", Description = "Adds two integers" }),
        McpServerTool.Create((string text) => { Log($"echo {text}"); return text; },
            new McpServerToolCreateOptions { Name = "echo", Description = "Returns its text unchanged" }),
        McpServerTool.Create((string expression) =>
        {
            Log($"calculator {expression}");
            string[] p = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return p.Length == 3 && long.TryParse(p[0], out long a) && long.TryParse(p[2], out long b)
                ? p[1] switch { "+" => (a + b).ToString(), "-" => (a - b).ToString(), "*" => (a * b).ToString(), _ => "error: operator" }
                : "error: expected 'a + b'";
        }, new McpServerToolCreateOptions { Name = "calculator", Description = "Evaluates a + b, a - b or a * b" }),
    ],
};
await using var transport = new StdioServerTransport(options);
await using McpServer server = McpServer.Create(transport, options);
await server.RunAsync();
