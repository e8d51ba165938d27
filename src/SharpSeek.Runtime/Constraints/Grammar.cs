// The grammar a constrained output must match, as a tree of byte-level nodes: literals, sequences,
// choices, JSON strings and numbers, raw text, ordered members (a JSON object with declared
// properties, a DSML parameter list) and repeats (arrays, free objects). Built by
// JsonSchemaCompiler and by front ends (the DSML call syntax); matched by GrammarMatcher.
// Every node is immutable and may be shared; recursion ($ref) goes through a RefNode.
using System.Text;

namespace SharpSeek.Runtime.Constraints;

public abstract class GrammarNode
{
    /// <summary>Adds to <paramref name="into"/> the stacks that start matching this node and continue with <paramref name="then"/> (null = the end of the document).</summary>
    internal abstract void Enter(Frame? then, List<Frame?> into);
}

/// <summary>Builders of grammar nodes.</summary>
public static class Grammar
{
    public static GrammarNode Literal(string text) => new LiteralNode(Encoding.UTF8.GetBytes(text));
    public static GrammarNode Sequence(params GrammarNode[] parts) => parts.Length == 1 ? parts[0] : new SequenceNode(parts);
    /// <summary>Any one of the options (none: nothing matches).</summary>
    public static GrammarNode Choice(params GrammarNode[] options) => options.Length == 1 ? options[0] : new ChoiceNode(options);
    /// <summary>A JSON string literal, quotes included, of <paramref name="minLength"/> to <paramref name="maxLength"/> characters (escapes count as one).</summary>
    public static GrammarNode JsonString(int minLength, int maxLength) => new JsonStringNode(minLength, maxLength);
    /// <summary>A JSON number without exponent: -?(0|[1-9][0-9]*)(.[0-9]+)?, integer: no fraction.</summary>
    public static GrammarNode JsonNumber(bool integer, int maxDigits, int maxFractionDigits) => new NumberNode(integer, maxDigits, maxFractionDigits);
    /// <summary>Up to <paramref name="maxLength"/> bytes of UTF-8 text without the <paramref name="excluded"/> byte (e.g. '&lt;' before a closing tag).</summary>
    public static GrammarNode RawText(int maxLength, byte excluded) => new RawTextNode(maxLength, excluded);
    /// <summary>
    /// open, then entries in their order, each optional unless required, separated by sep, then close
    /// (a JSON object's declared properties; a DSML parameter list).
    /// </summary>
    public static GrammarNode Members(GrammarNode open, GrammarNode close, GrammarNode sep, IReadOnlyList<GrammarNode> entries, IReadOnlyList<bool> required) =>
        new MembersNode(open, close, sep, entries.ToArray(), required.ToArray());
    /// <summary>open, min to max items separated by sep, close (a JSON array; a free JSON object).</summary>
    public static GrammarNode Repeat(GrammarNode open, GrammarNode close, GrammarNode sep, GrammarNode item, int min, int max) =>
        new RepeatNode(open, close, sep, item, min, max);
}

/// <summary>A node defined later (recursive $ref): set Target before matching.</summary>
public sealed class RefNode : GrammarNode
{
    public GrammarNode? Target { get; set; }
    internal override void Enter(Frame? then, List<Frame?> into) =>
        (Target ?? throw new InvalidOperationException("a grammar reference was never resolved")).Enter(then, into);
}

internal sealed class LiteralNode(byte[] bytes) : GrammarNode
{
    public readonly byte[] Bytes = bytes;

    internal override void Enter(Frame? then, List<Frame?> into)
    {
        if (Bytes.Length == 0) Frame.Finish(then, into);
        else into.Add(new LiteralFrame(this, 0, then));
    }
}

internal sealed class SequenceNode(GrammarNode[] parts) : GrammarNode
{
    internal override void Enter(Frame? then, List<Frame?> into) => EnterAt(0, then, into);

    public void EnterAt(int i, Frame? then, List<Frame?> into)
    {
        if (i == parts.Length) Frame.Finish(then, into);
        else parts[i].Enter(new SequenceFrame(this, i, then), into);
    }
}

internal sealed class ChoiceNode(GrammarNode[] options) : GrammarNode
{
    internal override void Enter(Frame? then, List<Frame?> into)
    {
        foreach (GrammarNode o in options) o.Enter(then, into);
    }
}

internal sealed class JsonStringNode(int min, int max) : GrammarNode
{
    public readonly int Min = min, Max = max;
    internal override void Enter(Frame? then, List<Frame?> into) => into.Add(new StringFrame(this, StringFrame.Open, 0, 0, then));
}

internal sealed class NumberNode(bool integer, int maxDigits, int maxFraction) : GrammarNode
{
    public readonly bool Integer = integer;
    public readonly int MaxDigits = maxDigits, MaxFraction = maxFraction;
    internal override void Enter(Frame? then, List<Frame?> into) => into.Add(new NumberFrame(this, NumberFrame.Start, 0, then));
}

internal sealed class RawTextNode(int max, byte excluded) : GrammarNode
{
    public readonly int Max = max;
    public readonly byte Excluded = excluded;

    internal override void Enter(Frame? then, List<Frame?> into)
    {
        into.Add(new RawTextFrame(this, 0, 0, then));
        Frame.Finish(then, into); // empty text
    }
}

internal sealed class MembersNode(GrammarNode open, GrammarNode close, GrammarNode sep, GrammarNode[] entries, bool[] required) : GrammarNode
{
    private readonly GrammarNode[] _afterSep = entries.Select(e => Grammar.Sequence(sep, e)).ToArray();

    internal override void Enter(Frame? then, List<Frame?> into) => open.Enter(new MembersFrame(this, 0, 0, then), into);

    /// <summary>After `open` or an entry: the next allowed entries (up to the first required one) and, when none is required, close.</summary>
    public void Continue(int next, int count, Frame? then, List<Frame?> into)
    {
        bool closable = true;
        for (int j = next; j < entries.Length; j++)
        {
            (count == 0 ? entries[j] : _afterSep[j]).Enter(new MembersFrame(this, j + 1, count + 1, then), into);
            if (required[j]) { closable = false; break; }
        }
        if (closable) close.Enter(then, into);
    }
}

internal sealed class RepeatNode(GrammarNode open, GrammarNode close, GrammarNode sep, GrammarNode item, int min, int max) : GrammarNode
{
    private readonly GrammarNode _afterSep = Grammar.Sequence(sep, item);

    internal override void Enter(Frame? then, List<Frame?> into) => open.Enter(new RepeatFrame(this, 0, then), into);

    public void Continue(int count, Frame? then, List<Frame?> into)
    {
        if (count >= min) close.Enter(then, into);
        if (count < max) (count == 0 ? item : _afterSep).Enter(new RepeatFrame(this, count + 1, then), into);
    }
}
