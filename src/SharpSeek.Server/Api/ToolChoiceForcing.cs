// tool_choice "required" and a named function, enforced by forcing the start of the DSML block:
// right after the reasoning ends (thinking mode: once "</think>" is generated; chat mode: at once)
// the output continues with "\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"" -- and, for a named
// function, its name and "\">\n" -- so the model only writes the arguments (and any further calls).
using SharpSeek.Runtime.Sampling;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ToolChoiceForcing
{
    public const string ThinkEnd = "</think>";

    /// <summary>The forced continuation for the request's tool_choice, or null when the model chooses freely.</summary>
    public static ForcedTokens? For(ChatRequest req, Tokenizer tokenizer)
    {
        string? text = req.ToolChoice.Mode switch
        {
            ToolChoiceMode.Required => $"\n\n<{DsmlTokens.Dsml}tool_calls>\n<{DsmlTokens.Dsml}invoke name=\"",
            ToolChoiceMode.Function => $"\n\n<{DsmlTokens.Dsml}tool_calls>\n<{DsmlTokens.Dsml}invoke name=\"{req.ToolChoice.Name}\">\n",
            _ => null,
        };
        if (text is null) return null;
        int[] trigger = req.Mode == ThinkingMode.Thinking ? tokenizer.Encode(ThinkEnd) : [];
        return new ForcedTokens(trigger, tokenizer.Encode(text));
    }
}
