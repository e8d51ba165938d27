// Turns generated text into reasoning, content and tool calls even when the model did not finish
// cleanly (max tokens, stop string, random weights): the strict V4 parser first, then a forgiving
// split at </think>, the tool-calls opener and EOS. Serving must never fail on the model's output.

namespace SharpSeek.Tokenization.Chat;

public static class LenientCompletion
{
    /// <summary>Parses <paramref name="text"/> (everything generated after the prompt).</summary>
    public static ParsedCompletion Parse(string text, ThinkingMode mode)
    {
        if (TryStrict(text, mode, out ParsedCompletion? strict)) return strict!;
        // A completion cut short has no EOS: the strict parser accepts it once EOS is appended.
        if (!text.Contains(DsmlTokens.Eos, StringComparison.Ordinal) && TryStrict(text + DsmlTokens.Eos, mode, out strict)) return strict!;
        return Forgiving(text, mode);
    }

    private static bool TryStrict(string text, ThinkingMode mode, out ParsedCompletion? result)
    {
        try { result = CompletionParser.Parse(text, mode); return true; }
        catch (ChatFormatException) { result = null; return false; }
    }

    private static ParsedCompletion Forgiving(string text, ThinkingMode mode)
    {
        string reasoning = "";
        string rest = text;
        if (mode == ThinkingMode.Thinking)
        {
            int end = rest.IndexOf(DsmlTokens.ThinkEnd, StringComparison.Ordinal);
            if (end < 0) return new ParsedCompletion(Clean(CutAtEos(rest)), "", []);
            reasoning = rest[..end];
            rest = rest[(end + DsmlTokens.ThinkEnd.Length)..];
        }
        rest = CutAtEos(rest);
        var calls = new List<ParsedToolCall>();
        int tools = rest.IndexOf(DsmlTokens.ToolCallsStart, StringComparison.Ordinal);
        if (tools >= 0)
        {
            // Keep whatever complete calls the block holds; a malformed block stays visible as content.
            try
            {
                ParsedCompletion block = CompletionParser.Parse(rest[tools..] + (rest.Contains(DsmlTokens.ToolCallsEnd, StringComparison.Ordinal) ? "" : DsmlTokens.ToolCallsEnd) + DsmlTokens.Eos, ThinkingMode.Chat);
                calls.AddRange(block.ToolCalls);
                rest = rest[..tools];
            }
            catch (ChatFormatException) { }
        }
        return new ParsedCompletion(Clean(reasoning), Clean(rest), calls);
    }

    private static string CutAtEos(string s)
    {
        int eos = s.IndexOf(DsmlTokens.Eos, StringComparison.Ordinal);
        return eos < 0 ? s : s[..eos];
    }

    // Control strings the model emitted in odd places are not shown to the client.
    private static string Clean(string s) => s.Replace(DsmlTokens.ThinkStart, "", StringComparison.Ordinal)
        .Replace(DsmlTokens.ThinkEnd, "", StringComparison.Ordinal).Replace(DsmlTokens.Bos, "", StringComparison.Ordinal);
}
