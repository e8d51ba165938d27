// Parses a V4 completion into reasoning, content and tool calls with the rules of
// parse_message_from_completion_text in encoding_dsv4.py, rejecting malformed text with a
// ChatFormatException. The scanning steps take a `final` flag so IncrementalCompletionParser can
// run the very same code on a prefix of the stream ("need more text" instead of a verdict).
using System.Text.RegularExpressions;

namespace SharpSeek.Tokenization.Chat;

/// <summary>A parsed tool call: name and arguments as a JSON string (OpenAI form).</summary>
public sealed record ParsedToolCall(string Name, string Arguments);

/// <summary>The assistant message of a completion.</summary>
public sealed record ParsedCompletion(string Reasoning, string Content, IReadOnlyList<ParsedToolCall> ToolCalls)
{
    public ChatMessage ToMessage() => ChatMessage.Assistant(Content, Reasoning,
        ToolCalls.Select(t => new ToolCall(t.Name, t.Arguments)).ToList());
}

public static partial class CompletionParser
{
    private static readonly string InvokeStart = "<" + DsmlTokens.Dsml + "invoke";
    private static readonly string InvokeEnd = "</" + DsmlTokens.Dsml + "invoke";
    private static readonly string ParamStart = "<" + DsmlTokens.Dsml + "parameter";
    private static readonly string ParamEnd = "/" + DsmlTokens.Dsml + "parameter";
    private static readonly string[] ForbiddenInContent = [DsmlTokens.Bos, DsmlTokens.Eos, DsmlTokens.ThinkStart, DsmlTokens.ThinkEnd, DsmlTokens.Dsml];

    [GeneratedRegex("^\\s*name=\"(.*?)\">\n$", RegexOptions.Singleline)]
    private static partial Regex ToolNameRegex();

    [GeneratedRegex("^ name=\"(.*?)\" string=\"(true|false)\">(.*?)<$", RegexOptions.Singleline)]
    private static partial Regex ParameterRegex();

    /// <summary>Parses a whole completion (text the model generated after the prompt).</summary>
    public static ParsedCompletion Parse(string text, ThinkingMode mode)
    {
        int index = 0;
        string reasoning = "";
        string? stop;
        if (mode == ThinkingMode.Thinking)
        {
            ReadUntilStop(text, ref index, [DsmlTokens.ThinkEnd, DsmlTokens.ToolCallsStart], true, out reasoning, out stop);
            if (stop != DsmlTokens.ThinkEnd) throw new ChatFormatException("Invalid thinking format: missing </think>");
        }
        ReadUntilStop(text, ref index, [DsmlTokens.Eos, DsmlTokens.ToolCallsStart], true, out string content, out stop);
        var calls = new List<ParsedToolCall>();
        if (stop == DsmlTokens.ToolCallsStart)
        {
            ParseToolCalls(text, ref index, true, calls);
            ReadUntilStop(text, ref index, [DsmlTokens.Eos], true, out string tail, out stop);
            if (tail.Length > 0) throw new ChatFormatException("Unexpected content after tool calls");
        }
        else if (stop != DsmlTokens.Eos) throw new ChatFormatException("Invalid format: missing EOS token");
        if (index != text.Length || stop is not (null or DsmlTokens.Eos)) throw new ChatFormatException("Unexpected content at end");
        foreach (string t in ForbiddenInContent)
            if (content.Contains(t, StringComparison.Ordinal) || reasoning.Contains(t, StringComparison.Ordinal))
                throw new ChatFormatException($"Unexpected special token '{t}' in content");
        return new ParsedCompletion(reasoning, content, calls);
    }

    /// <summary>
    /// _read_until_stop: reads from <paramref name="index"/> to the earliest stop string. When not
    /// <paramref name="final"/>, returns false if the text so far cannot decide (a stop may still be
    /// completing at the end); then index is unchanged.
    /// </summary>
    internal static bool ReadUntilStop(string text, ref int index, string[] stops, bool final, out string content, out string? stop)
    {
        int best = -1;
        stop = null;
        foreach (string s in stops)
        {
            int pos = text.IndexOf(s, index, StringComparison.Ordinal);
            if (pos >= 0 && (best < 0 || pos < best)) { best = pos; stop = s; }
        }
        if (!final)
        {
            int partial = PartialStopStart(text, index, stops);
            if (partial >= 0 && (best < 0 || partial < best) || best < 0) { content = ""; stop = null; return false; }
        }
        if (best >= 0)
        {
            content = text[index..best];
            index = best + stop!.Length;
            return true;
        }
        content = text[index..];
        index = text.Length;
        return true;
    }

    /// <summary>The earliest position ≥ from where the rest of the text is a proper prefix of a stop, or -1.</summary>
    internal static int PartialStopStart(string text, int from, string[] stops)
    {
        int maxLen = stops.Max(s => s.Length);
        for (int p = Math.Max(from, text.Length - maxLen + 1); p < text.Length; p++)
        {
            ReadOnlySpan<char> rest = text.AsSpan(p);
            foreach (string s in stops)
                if (rest.Length < s.Length && s.AsSpan().StartsWith(rest, StringComparison.Ordinal)) return p;
        }
        return -1;
    }

    /// <summary>
    /// parse_tool_calls, starting after "\n\n&lt;｜DSML｜tool_calls". Appends each complete call to
    /// <paramref name="calls"/>; returns false (not final) when more text is needed.
    /// </summary>
    internal static bool ParseToolCalls(string text, ref int index, bool final, List<ParsedToolCall> calls)
    {
        string? stop;
        while (index < text.Length || !final)
        {
            if (!final && index >= text.Length) return false;
            if (!ReadUntilStop(text, ref index, [InvokeStart, DsmlTokens.ToolCallsEnd], final, out string gap, out stop)) return false;
            if (gap != ">\n") throw new ChatFormatException($"Tool call format error: expected '>\\n' but got '{gap}'");
            if (stop == DsmlTokens.ToolCallsEnd) return true;
            if (stop == null) throw new ChatFormatException("Missing special token in tool calls");

            if (!ReadUntilStop(text, ref index, [ParamStart, InvokeEnd], final, out string nameContent, out stop)) return false;
            Match nm = ToolNameRegex().Match(nameContent);
            if (!nm.Success) throw new ChatFormatException($"Tool name format error: '{nameContent}'");
            var parameters = new List<(string Name, string Value, bool IsString)>();
            while (stop == ParamStart)
            {
                if (!ReadUntilStop(text, ref index, [ParamEnd], final, out string paramContent, out _)) return false;
                Match pm = ParameterRegex().Match(paramContent);
                if (!pm.Success) throw new ChatFormatException($"Parameter format error: '{paramContent}'");
                string name = pm.Groups[1].Value;
                if (parameters.Any(p => p.Name == name)) throw new ChatFormatException($"Duplicate parameter name: '{name}'");
                parameters.Add((name, pm.Groups[3].Value, pm.Groups[2].Value == "true"));
                if (!ReadUntilStop(text, ref index, [ParamStart, InvokeEnd], final, out string after, out stop)) return false;
                if (after != ">\n") throw new ChatFormatException($"Parameter format error: expected '>\\n' but got '{after}'");
            }
            calls.Add(new ParsedToolCall(nm.Groups[1].Value, DsmlArguments.Decode(parameters)));
        }
        return true;
    }
}
