// The bounds a tokenizer.json must respect, written once: ids, file size, and how its regexes
// are compiled (a pattern from the file must not be able to hang encoding).
using System.Text.RegularExpressions;

namespace SharpSeek.Tokenization;

public static class TokenizerLimits
{
    /// <summary>The largest token id accepted (vocab and added tokens): 2^24 - 1, far above any real vocabulary.</summary>
    public const int MaxId = (1 << 24) - 1;

    /// <summary>The largest tokenizer.json read (V4's is ~8 MB).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>The time one regex match may take before the encode fails (backtracking patterns only).</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Compiles a regex from tokenizer.json: with the non-backtracking engine (linear time) when the
    /// pattern allows it, else (lookarounds, backreferences) with a match timeout.
    /// </summary>
    public static Regex CompileRegex(string pattern, string path)
    {
        try
        {
            try { return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant); }
            catch (NotSupportedException) { return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, MatchTimeout); }
        }
        catch (ArgumentException e)
        {
            throw new TokenizerFormatException($"{path} is not a valid regex ({e.Message.ReplaceLineEndings(" ")}): {pattern}");
        }
    }

    internal static void CheckId(long id, string path)
    {
        if (id < 0 || id > MaxId) throw new TokenizerFormatException($"{path} must be an integer id in [0, {MaxId}], got {id}");
    }
}
