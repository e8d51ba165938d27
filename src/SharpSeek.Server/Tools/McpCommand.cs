// "COMMAND ARGS" of --mcp split as a POSIX shell would split plain words and quotes (no expansion):
// 'single', "double" (with \" and \\), and backslash escapes outside quotes. Malformed text is an
// McpAttachException naming what is wrong. Also where the command would be found, checked before start.
using System.Text;

namespace SharpSeek.Server.Tools;

public static class McpCommand
{
    public static (string Command, IReadOnlyList<string> Arguments) Split(string spec)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < spec.Length; i++)
        {
            char c = spec[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                int end = spec.IndexOf('\'', i + 1);
                if (end < 0) throw new McpAttachException(spec, "unterminated ' quote");
                word.Append(spec, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; ; i++)
                {
                    if (i >= spec.Length) throw new McpAttachException(spec, "unterminated \" quote");
                    if (spec[i] == '"') break;
                    if (spec[i] == '\\' && i + 1 < spec.Length && spec[i + 1] is '"' or '\\') i++;
                    word.Append(spec[i]);
                }
            }
            else if (c == '\\')
            {
                if (++i >= spec.Length) throw new McpAttachException(spec, "a trailing backslash escapes nothing");
                word.Append(spec[i]);
            }
            else word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        if (words.Count == 0) throw new McpAttachException(spec, "the command is empty");
        return (words[0], words.Skip(1).ToList());
    }

    /// <summary>Null when <paramref name="command"/> can be started: an existing file (a path) or a file on PATH (a bare name).</summary>
    public static string? WhyNotStartable(string command)
    {
        if (command.Contains('/'))
            return File.Exists(command) ? null : $"'{command}' does not exist";
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, command))) return null;
        return $"command '{command}' was not found on PATH";
    }
}

/// <summary>An MCP server could not be attached: the message names the --mcp value and the reason.</summary>
public sealed class McpAttachException(string spec, string reason, Exception? inner = null)
    : Exception($"--mcp \"{spec}\": {reason}", inner);
