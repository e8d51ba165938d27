// The state of a match: the set of live stacks (a pushdown NFA over bytes). Start() enters the
// root; Advance() consumes bytes; Accepting says whether the document may end here. The set is
// capped (MaxStacks) so an ambiguous grammar cannot blow up: dropping stacks can only forbid
// continuations, never allow an invalid one.
namespace SharpSeek.Runtime.Constraints;

public sealed class GrammarMatcher
{
    public const int MaxStacks = 256;
    private readonly List<Frame?> _stacks;

    private GrammarMatcher(List<Frame?> stacks) => _stacks = stacks;

    public static GrammarMatcher Start(GrammarNode root)
    {
        var stacks = new List<Frame?>();
        root.Enter(null, stacks);
        return new GrammarMatcher(stacks);
    }

    /// <summary>The document may end here (EOS allowed).</summary>
    public bool Accepting => _stacks.Contains(null);

    /// <summary>No continuation and no end: the text so far is not a prefix of any match.</summary>
    public bool Dead => _stacks.Count == 0;

    /// <summary>The state after <paramref name="bytes"/>, or null when they cannot continue the match.</summary>
    public GrammarMatcher? Advance(ReadOnlySpan<byte> bytes, bool literalOnly = false)
    {
        List<Frame?> current = _stacks;
        foreach (byte b in bytes)
        {
            current = Step(current, b, literalOnly);
            if (current.Count == 0) return null;
        }
        return new GrammarMatcher(current);
    }

    /// <summary>One byte from every live stack (the trie walk calls this per edge).</summary>
    internal static List<Frame?> Step(List<Frame?> stacks, byte b, bool literalOnly)
    {
        var next = new List<Frame?>();
        foreach (Frame? s in stacks)
        {
            if (s is null) continue;
            s.Step(b, literalOnly, next);
            if (next.Count >= MaxStacks) break;
        }
        return next;
    }

    internal List<Frame?> Stacks => _stacks;

    /// <summary>Whether the whole text matches the grammar (the reference a test checks outputs with).</summary>
    public static bool Matches(GrammarNode root, ReadOnlySpan<byte> text) => Start(root).Advance(text) is { Accepting: true };
}
