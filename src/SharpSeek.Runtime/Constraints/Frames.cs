// The match stacks of GrammarMatcher: immutable frames linked to the frame that continues after
// them (null = the document ends). A consuming frame takes one byte and adds every stack that
// results; a continuation frame resumes when its child finishes. Forks (choices, a number or raw
// text that may end here) simply add several stacks, so the matcher is a pushdown NFA.
namespace SharpSeek.Runtime.Constraints;

internal abstract class Frame(Frame? parent)
{
    public Frame? Parent { get; } = parent;

    /// <summary>Consumes <paramref name="b"/>; <paramref name="literalOnly"/>: the byte belongs to an atomic (added) token, which only literals accept.</summary>
    public virtual void Step(byte b, bool literalOnly, List<Frame?> into) => throw new InvalidOperationException($"{GetType().Name} does not consume bytes");

    /// <summary>The child this frame waited for has finished.</summary>
    public virtual void Resume(List<Frame?> into) => throw new InvalidOperationException($"{GetType().Name} is not a continuation");

    /// <summary>Whatever continues after a finished node: the parent, or the end of the document (null).</summary>
    public static void Finish(Frame? then, List<Frame?> into)
    {
        if (then is null) into.Add(null);
        else then.Resume(into);
    }
}

internal sealed class LiteralFrame(LiteralNode node, int pos, Frame? parent) : Frame(parent)
{
    public override void Step(byte b, bool literalOnly, List<Frame?> into)
    {
        if (b != node.Bytes[pos]) return;
        if (pos + 1 == node.Bytes.Length) Finish(Parent, into);
        else into.Add(new LiteralFrame(node, pos + 1, Parent));
    }
}

internal sealed class SequenceFrame(SequenceNode node, int index, Frame? parent) : Frame(parent)
{
    public override void Resume(List<Frame?> into) => node.EnterAt(index + 1, Parent, into);
}

internal sealed class MembersFrame(MembersNode node, int next, int count, Frame? parent) : Frame(parent)
{
    public override void Resume(List<Frame?> into) => node.Continue(next, count, Parent, into);
}

internal sealed class RepeatFrame(RepeatNode node, int count, Frame? parent) : Frame(parent)
{
    public override void Resume(List<Frame?> into) => node.Continue(count, Parent, into);
}

/// <summary>A JSON string: the opening quote, characters (UTF-8 checked, escapes), the closing quote.</summary>
internal sealed class StringFrame(JsonStringNode node, int phase, int length, int pending, Frame? parent) : Frame(parent)
{
    public const int Open = 0, Body = 1, Escape = 2, Hex = 3, Utf8 = 4;

    /// <summary>Between characters of the string: any plain character may come next.</summary>
    public bool InBody => phase == Body;
    /// <summary>Characters the string may still take.</summary>
    public int Room => node.Max - length;

    public override void Step(byte b, bool literalOnly, List<Frame?> into)
    {
        switch (phase)
        {
            case Open:
                if (b == '"') into.Add(new StringFrame(node, Body, 0, 0, Parent));
                return;
            case Body:
                if (b == '"') { if (length >= node.Min) Finish(Parent, into); return; }
                if (literalOnly || length >= node.Max || b < 0x20 || b == 0x7F) return;
                if (b == '\\') into.Add(new StringFrame(node, Escape, length, 0, Parent));
                else if (b < 0x80) into.Add(new StringFrame(node, Body, length + 1, 0, Parent));
                else if (b is >= 0xC2 and <= 0xF4) into.Add(new StringFrame(node, Utf8, length, b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1, Parent));
                return;
            case Escape:
                if (b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                    into.Add(new StringFrame(node, Body, length + 1, 0, Parent));
                else if (b == 'u') into.Add(new StringFrame(node, Hex, length, 4, Parent));
                return;
            case Hex:
                if (!Uri.IsHexDigit((char)b)) return;
                into.Add(pending == 1 ? new StringFrame(node, Body, length + 1, 0, Parent) : new StringFrame(node, Hex, length, pending - 1, Parent));
                return;
            default: // Utf8 continuation bytes
                if (literalOnly || b is < 0x80 or > 0xBF) return;
                into.Add(pending == 1 ? new StringFrame(node, Body, length + 1, 0, Parent) : new StringFrame(node, Utf8, length, pending - 1, Parent));
                return;
        }
    }
}

/// <summary>A JSON number; it has no terminator, so every complete prefix also finishes (a fork).</summary>
internal sealed class NumberFrame(NumberNode node, int state, int digits, Frame? parent) : Frame(parent)
{
    public const int Start = 0, Minus = 1, Zero = 2, Int = 3, Dot = 4, Frac = 5;

    public override void Step(byte b, bool literalOnly, List<Frame?> into)
    {
        bool digit = b is >= (byte)'0' and <= (byte)'9';
        switch (state)
        {
            case Start or Minus:
                if (b == '-' && state == Start) into.Add(new NumberFrame(node, Minus, 0, Parent));
                else if (b == '0') Accepting(Zero, 1, into);
                else if (digit) Accepting(Int, 1, into);
                return;
            case Zero or Int:
                if (digit && state == Int && digits < node.MaxDigits) Accepting(Int, digits + 1, into);
                else if (b == '.' && !node.Integer) into.Add(new NumberFrame(node, Dot, 0, Parent));
                return;
            case Dot or Frac:
                if (digit && digits < node.MaxFraction) Accepting(Frac, digits + 1, into);
                return;
        }
    }

    private void Accepting(int next, int count, List<Frame?> into)
    {
        into.Add(new NumberFrame(node, next, count, Parent));
        Finish(Parent, into);
    }
}

/// <summary>Raw UTF-8 text (a DSML string parameter); may end after any complete character.</summary>
internal sealed class RawTextFrame(RawTextNode node, int length, int pending, Frame? parent) : Frame(parent)
{
    public override void Step(byte b, bool literalOnly, List<Frame?> into)
    {
        if (literalOnly) return;
        if (pending > 0)
        {
            if (b is < 0x80 or > 0xBF) return;
            Next(length, pending - 1, into);
            return;
        }
        if (length >= node.Max || b == node.Excluded || b == 0 || b is >= 0x80 and < 0xC2 || b > 0xF4) return;
        Next(length + 1, b < 0x80 ? 0 : b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1, into);
    }

    private void Next(int len, int pend, List<Frame?> into)
    {
        into.Add(new RawTextFrame(node, len, pend, Parent));
        if (pend == 0) Finish(Parent, into);
    }
}
