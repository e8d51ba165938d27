// `--mcp "COMMAND ARGS"` (repeatable) and `--mcp-timeout SECONDS` of chat and serve: attach the tools
// of Model Context Protocol servers started over stdio (SharpSeek.Server.Tools.McpToolbox). A server
// that cannot be attached is a CliException naming it and why (non-zero exit), never a hang.
using System.CommandLine;
using SharpSeek.Server.Tools;

namespace SharpSeek.Cli.Generation;

public sealed class McpFlags
{
    public Option<string[]> Servers { get; } = new("--mcp")
    {
        Description = "Attach the tools of an MCP server started as \"COMMAND ARGS\" (stdio); repeatable",
        Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false,
    };

    public Option<double> Timeout { get; } = new("--mcp-timeout")
    {
        Description = "Seconds an MCP server has to start and list its tools, and to answer each call", DefaultValueFactory = _ => 30,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Servers);
        command.Options.Add(Timeout);
    }

    /// <summary>The attached servers' tools, or null when no --mcp was given.</summary>
    public McpToolbox? Attach(ParseResult parse, TextWriter log)
    {
        string[] specs = parse.GetValue(Servers) ?? [];
        double seconds = parse.GetValue(Timeout);
        if (seconds is <= 0 or > 3600 || double.IsNaN(seconds)) throw new CliException($"--mcp-timeout must be in (0, 3600] seconds (got {seconds})");
        if (specs.Length == 0) return null;
        McpToolbox box;
        try { box = McpToolbox.AttachAsync(specs, TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult(); }
        catch (McpAttachException e) { throw new CliException(e.Message); }
        foreach (var (tool, spec) in box.Tools) log.WriteLine($"mcp: tool {tool} from \"{spec}\"");
        return box;
    }
}
