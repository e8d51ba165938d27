// The small HF pre-tokenizers: Sequence, ByteLevel (optional prefix space and GPT-2 split), Digits
// and WhitespaceSplit. ByteLevel's byte-to-character mapping itself happens in the BPE stage, which
// works on UTF-8 bytes directly.
namespace SharpSeek.Tokenization.PreTokenizers;

internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> stages) : IPreTokenizer
{
    public void Apply(PreTokenizeBuffer buffer)
    {
        foreach (IPreTokenizer stage in stages) stage.Apply(buffer);
    }
}

internal sealed class ByteLevelPreTokenizer : IPreTokenizer
{
    private readonly bool _addPrefixSpace;
    private readonly SplitPreTokenizer? _split;

    public ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
    {
        _addPrefixSpace = addPrefixSpace;
        _split = useRegex ? new SplitPreTokenizer(new Gpt2Matcher(), SplitBehavior.Isolated, invert: false) : null;
    }

    public void Apply(PreTokenizeBuffer buffer)
    {
        if (_addPrefixSpace)
        {
            for (int i = 0; i < buffer.Pieces.Count; i++)
            {
                Piece p = buffer.Pieces[i];
                if (p.Length > 0 && buffer.Work[p.Start] == ' ') continue;
                int start = buffer.Append(" ");
                // Copy via a temporary: Append may reallocate the buffer the span points into.
                string text = buffer.Text(p).ToString();
                buffer.Append(text);
                buffer.Pieces[i] = new Piece(start, p.Length + 1);
            }
        }
        _split?.Apply(buffer);
    }
}

/// <summary>HF <c>Digits</c>: isolates runs of numbers, or every single number when individual_digits.</summary>
internal sealed class DigitsMatcher(bool individualDigits) : ISplitMatcher
{
    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            if ((UnicodeClass.At(s, i, out int w) & CharClass.Number) == 0) { i += w; continue; }
            int start = i;
            i += w;
            if (!individualDigits)
                while (i < s.Length && (UnicodeClass.At(s, i, out w) & CharClass.Number) != 0) i += w;
            matches.Add((start, i));
        }
    }
}

/// <summary>Splits on whitespace and drops it (HF <c>WhitespaceSplit</c>).</summary>
internal sealed class WhitespaceMatcher : ISplitMatcher
{
    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        int i = 0;
        while (i < s.Length)
        {
            if ((UnicodeClass.At(s, i, out int w) & CharClass.WhiteSpace) == 0) { i += w; continue; }
            int start = i;
            while (i < s.Length && (UnicodeClass.At(s, i, out w) & CharClass.WhiteSpace) != 0) i += w;
            matches.Add((start, i));
        }
    }
}
