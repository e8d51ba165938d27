// Finds added tokens in text: leftmost-longest, non-overlapping (as HF's Aho-Corasick with
// LeftmostLongest does), honouring lstrip/rstrip (absorb neighbouring whitespace) and single_word.
// A character trie over the token contents; candidate starts are found with a SearchValues scan.
using System.Buffers;

namespace SharpSeek.Tokenization.AddedTokens;

/// <summary>One segment of split text: either an added token (TokenId ≥ 0) or plain text (TokenId = -1).</summary>
public readonly record struct TextSegment(int Start, int Length, int TokenId);

internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<long, int> _edges = new(); // (node << 16 | char) -> child node
    private readonly List<int> _terminal = new() { -1 };    // node -> index into _tokens, or -1
    private readonly List<AddedToken> _tokens = new();
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        var first = new HashSet<char>();
        foreach (AddedToken t in tokens)
        {
            if (t.Content.Length == 0) continue;
            first.Add(t.Content[0]);
            int node = 0;
            foreach (char c in t.Content)
            {
                long key = ((long)node << 16) | c;
                if (!_edges.TryGetValue(key, out int child))
                {
                    child = _terminal.Count;
                    _terminal.Add(-1);
                    _edges[key] = child;
                }
                node = child;
            }
            if (_terminal[node] < 0) { _terminal[node] = _tokens.Count; _tokens.Add(t); }
        }
        _firstChars = SearchValues.Create(first.ToArray());
    }

    public bool IsEmpty => _tokens.Count == 0;

    /// <summary>Splits <paramref name="text"/> into plain-text and added-token segments, appended in order.</summary>
    public void Split(ReadOnlySpan<char> text, List<TextSegment> output)
    {
        int plainStart = 0, i = 0;
        while (i < text.Length)
        {
            int k = text[i..].IndexOfAny(_firstChars);
            if (k < 0) break;
            i += k;
            if (TryMatch(text, i, out int start, out int end, out int id))
            {
                start = Math.Max(start, plainStart);
                if (start > plainStart) output.Add(new TextSegment(plainStart, start - plainStart, -1));
                output.Add(new TextSegment(start, end - start, id));
                plainStart = i = end;
            }
            else
            {
                i++;
            }
        }
        if (plainStart < text.Length) output.Add(new TextSegment(plainStart, text.Length - plainStart, -1));
    }

    private bool TryMatch(ReadOnlySpan<char> text, int at, out int start, out int end, out int id)
    {
        start = end = at;
        id = -1;
        int node = 0, best = -1, bestEnd = -1;
        for (int j = at; j < text.Length; j++)
        {
            if (!_edges.TryGetValue(((long)node << 16) | text[j], out node)) break;
            if (_terminal[node] >= 0) { best = _terminal[node]; bestEnd = j + 1; }
        }
        if (best < 0) return false;
        AddedToken token = _tokens[best];
        if (token.SingleWord && (IsWordChar(text, at - 1) || IsWordChar(text, bestEnd))) return false;
        start = at;
        end = bestEnd;
        if (token.LStrip) while (start > 0 && char.IsWhiteSpace(text[start - 1])) start--;
        if (token.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
        id = token.Id;
        return true;
    }

    private static bool IsWordChar(ReadOnlySpan<char> text, int i) =>
        i >= 0 && i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');
}
