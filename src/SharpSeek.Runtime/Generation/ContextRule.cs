// THE context rule, written once: a sequence's prompt plus generated tokens never exceed the
// model's MaxContext (the OpenAI convention). A prompt therefore needs at most MaxContext - 1
// positions, and generation ends with FinishReason.ContextLimit when the total reaches MaxContext.
namespace SharpSeek.Runtime.Generation;

public static class ContextRule
{
    /// <summary>Tokens that can still be generated after <paramref name="total"/> tokens (prompt + generated).</summary>
    public static int Room(int total, int maxContext) => maxContext - total;

    /// <summary>Whether a prompt that brings the sequence to <paramref name="promptTotal"/> tokens leaves room to generate.</summary>
    public static bool PromptFits(int promptTotal, int maxContext) => promptTotal < maxContext;

    /// <summary>The error for a prompt that does not fit, naming both numbers.</summary>
    public static string PromptTooLong(int promptTotal, int maxContext) =>
        $"the prompt needs {promptTotal} positions but the context holds {maxContext} (at most {maxContext - 1} prompt tokens, to leave room for one generated token)";
}
