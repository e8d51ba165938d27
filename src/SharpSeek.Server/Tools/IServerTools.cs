// Tools the server (or the chat command) runs itself, as opposed to tools a client declares and runs:
// today the tools of the MCP servers attached with --mcp (McpToolbox).
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Tools;

public interface IServerTools
{
    /// <summary>The tools as the V4 template renders them (OpenAI function objects).</summary>
    IReadOnlyList<ToolDefinition> Definitions { get; }

    bool Has(string name);

    /// <summary>Runs <paramref name="name"/> with <paramref name="argumentsJson"/> (a JSON object); a failure comes back as
    /// text starting with "error:" (the model reads it as the tool's result), never as an exception.</summary>
    Task<string> CallAsync(string name, string argumentsJson, CancellationToken ct);
}
