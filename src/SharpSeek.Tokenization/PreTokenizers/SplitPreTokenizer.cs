// HF `Split` pre-tokenizer: cuts each piece at the matches of a pattern and keeps, drops or merges the
// matches according to the split behaviour (Isolated, Removed, MergedWithPrevious, MergedWithNext,
// Contiguous), optionally inverted. Mirrors tokenizers' SplitDelimiterBehavior fold rules.
namespace SharpSeek.Tokenization.PreTokenizers;

public enum SplitBehavior { Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous }

internal sealed class SplitPreTokenizer : IPreTokenizer
{
    private readonly ISplitMatcher _matcher;
    private readonly SplitBehavior _behavior;
    private readonly bool _invert;

    public SplitPreTokenizer(ISplitMatcher matcher, SplitBehavior behavior, bool invert)
    {
        _matcher = matcher;
        _behavior = behavior;
        _invert = invert;
    }

    public void Apply(PreTokenizeBuffer buffer)
    {
        var matches = buffer.Matches;
        var splits = new List<(int Start, int End, bool IsMatch)>();
        foreach (Piece piece in buffer.Pieces)
        {
            matches.Clear();
            _matcher.FindAll(buffer.Text(piece), matches);
            if (_behavior == SplitBehavior.Isolated && !_invert)
            {
                EmitIsolated(buffer, piece, matches);
                continue;
            }
            splits.Clear();
            int prev = 0;
            foreach (var (s, e) in matches)
            {
                if (s > prev) splits.Add((prev, s, _invert));
                splits.Add((s, e, !_invert));
                prev = e;
            }
            if (prev < piece.Length) splits.Add((prev, piece.Length, _invert));
            foreach (var (s, e) in Fold(splits))
                if (e > s) buffer.Next.Add(new Piece(piece.Start + s, e - s));
        }
        buffer.SwapPieces();
    }

    // Fast path for the common case: gaps and matches all become pieces, in order.
    private static void EmitIsolated(PreTokenizeBuffer buffer, Piece piece, List<(int Start, int End)> matches)
    {
        int prev = 0;
        foreach (var (s, e) in matches)
        {
            if (s > prev) buffer.Next.Add(new Piece(piece.Start + prev, s - prev));
            buffer.Next.Add(new Piece(piece.Start + s, e - s));
            prev = e;
        }
        if (prev < piece.Length) buffer.Next.Add(new Piece(piece.Start + prev, piece.Length - prev));
    }

    private List<(int Start, int End)> Fold(List<(int Start, int End, bool IsMatch)> splits)
    {
        var acc = new List<(int Start, int End)>();
        bool previousMatch = false;
        switch (_behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var (s, e, _) in splits) acc.Add((s, e));
                break;
            case SplitBehavior.Removed:
                foreach (var (s, e, m) in splits) if (!m) acc.Add((s, e));
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var (s, e, m) in splits)
                {
                    if (m && !previousMatch && acc.Count > 0) acc[^1] = (acc[^1].Start, e);
                    else acc.Add((s, e));
                    previousMatch = m;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = splits.Count - 1; i >= 0; i--)
                {
                    var (s, e, m) = splits[i];
                    if (m && !previousMatch && acc.Count > 0) acc[^1] = (s, acc[^1].End);
                    else acc.Add((s, e));
                    previousMatch = m;
                }
                acc.Reverse();
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < splits.Count; i++)
                {
                    var (s, e, m) = splits[i];
                    if (i > 0 && m == previousMatch) acc[^1] = (acc[^1].Start, e);
                    else acc.Add((s, e));
                    previousMatch = m;
                }
                break;
        }
        return acc;
    }
}

/// <summary>Literal (HF <c>{"String": ...}</c>) split pattern.</summary>
internal sealed class LiteralMatcher(string literal) : ISplitMatcher
{
    public void FindAll(ReadOnlySpan<char> s, List<(int, int)> matches)
    {
        if (literal.Length == 0) return;
        int i = 0;
        while (i <= s.Length - literal.Length)
        {
            int k = s[i..].IndexOf(literal.AsSpan(), StringComparison.Ordinal);
            if (k < 0) break;
            matches.Add((i + k, i + k + literal.Length));
            i += k + literal.Length;
        }
    }
}
