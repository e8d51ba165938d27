// The tools of the MCP servers attached with --mcp "COMMAND ARGS" (ModelContextProtocol client,
// stdio transport): each server is started, initialised and asked for its tools within a timeout,
// or the attach fails with what went wrong (not found, exited, no MCP answer) and the tail of its
// stderr. Calls go to the server that listed the tool, with the same timeout; a failed call is an
// "error: ..." result for the model. Disposing stops the servers.
using System.Collections.Concurrent;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Tools;

public sealed class McpToolbox : IServerTools, IAsyncDisposable, IDisposable
{
    private readonly List<McpClient> _clients = [];
    private readonly Dictionary<string, (McpClient Client, string Spec)> _owner = new(StringComparer.Ordinal);
    private readonly List<ToolDefinition> _definitions = [];
    private readonly TimeSpan _timeout;

    private McpToolbox(TimeSpan timeout) => _timeout = timeout;

    public IReadOnlyList<ToolDefinition> Definitions => _definitions;
    /// <summary>Tool names with the --mcp value that provides each, in listing order.</summary>
    public IEnumerable<(string Tool, string Spec)> Tools => _definitions.Select(d => (d.Name, _owner[d.Name].Spec));
    public bool Has(string name) => _owner.ContainsKey(name);

    /// <summary>Starts every server in <paramref name="specs"/> and lists its tools; throws McpAttachException (after stopping those started) on the first failure.</summary>
    public static async Task<McpToolbox> AttachAsync(IReadOnlyList<string> specs, TimeSpan timeout, CancellationToken ct = default)
    {
        var box = new McpToolbox(timeout);
        try
        {
            foreach (string spec in specs) await box.AttachOneAsync(spec, ct);
            return box;
        }
        catch
        {
            await box.DisposeAsync();
            throw;
        }
    }

    private async Task AttachOneAsync(string spec, CancellationToken ct)
    {
        var (command, arguments) = McpCommand.Split(spec);
        if (McpCommand.WhyNotStartable(command) is string why) throw new McpAttachException(spec, why);
        var stderr = new ConcurrentQueue<string>();
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = command, Arguments = arguments.ToList(), Name = Path.GetFileName(command), ShutdownTimeout = TimeSpan.FromSeconds(2),
            StandardErrorLines = line => { stderr.Enqueue(line); while (stderr.Count > 5) stderr.TryDequeue(out _); },
        });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        McpClient? client = null;
        try
        {
            client = await McpClient.CreateAsync(transport, new McpClientOptions
            {
                ClientInfo = new Implementation { Name = "sharpseek", Version = "1.0" }, InitializationTimeout = _timeout,
            }, cancellationToken: cts.Token);
            IList<McpClientTool> tools = await client.ListToolsAsync(cancellationToken: cts.Token);
            _clients.Add(client);
            foreach (McpClientTool t in tools)
            {
                if (_owner.TryGetValue(t.Name, out var other)) throw new McpAttachException(spec, $"tool '{t.Name}' is also offered by --mcp \"{other.Spec}\"");
                _owner[t.Name] = (client, spec);
                _definitions.Add(new ToolDefinition(JsonSerializer.SerializeToElement(new { name = t.Name, description = t.Description, parameters = t.JsonSchema })));
            }
        }
        catch (Exception e) when (e is not McpAttachException && !ct.IsCancellationRequested)
        {
            if (client is not null && !_clients.Contains(client)) await client.DisposeAsync();
            string tail = stderr.IsEmpty ? "" : $" (its stderr: {string.Join(" | ", stderr)})";
            string reason = e is OperationCanceledException or TimeoutException
                ? $"no MCP answer within {_timeout.TotalSeconds:0.#} s: is it an MCP server speaking JSON-RPC on stdio?"
                : $"the server did not start as an MCP server: {Describe(e)}";
            throw new McpAttachException(spec, reason + tail, e);
        }
    }

    public async Task<string> CallAsync(string name, string argumentsJson, CancellationToken ct)
    {
        if (!_owner.TryGetValue(name, out var owner)) return $"error: no attached MCP server offers a tool named '{name}'";
        Dictionary<string, object?>? args;
        try { args = JsonSerializer.Deserialize<Dictionary<string, object?>>(string.IsNullOrWhiteSpace(argumentsJson) ? "{}" : argumentsJson); }
        catch (JsonException e) { return $"error: the arguments of {name} are not a JSON object: {e.Message}"; }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        try
        {
            CallToolResult result = await owner.Client.CallToolAsync(name, args, cancellationToken: cts.Token);
            string text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
            if (text.Length == 0 && result.StructuredContent is { } structured) text = structured.ToString();
            return result.IsError == true ? $"error: {text}" : text;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return $"error: {name} gave no answer within {_timeout.TotalSeconds:0.#} s"; }
        catch (Exception e) when (e is not OperationCanceledException) { return $"error: {name} failed: {Describe(e)}"; }
    }

    private static string Describe(Exception e)
    {
        string message = e.Message;
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (!message.Contains(inner.Message, StringComparison.Ordinal)) message += $" ({inner.Message})";
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (McpClient c in _clients) await c.DisposeAsync();
        _clients.Clear();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
