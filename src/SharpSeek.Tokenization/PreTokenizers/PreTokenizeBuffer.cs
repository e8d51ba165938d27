// Working state of one pre-tokenization: a char buffer and the pieces (offset ranges into it) that
// each pre-tokenizer stage refines. Reused across calls (pooled per tokenizer) so encoding allocates
// nothing per piece.
namespace SharpSeek.Tokenization.PreTokenizers;

/// <summary>A piece of the working buffer: <c>[Start, Start + Length)</c>.</summary>
public readonly record struct Piece(int Start, int Length);

/// <summary>Scratch state for pre-tokenizing one text segment.</summary>
public sealed class PreTokenizeBuffer
{
    private char[] _work = new char[256];

    public int WorkLength { get; private set; }
    public List<Piece> Pieces { get; private set; } = new();
    internal List<Piece> Next { get; private set; } = new();
    internal List<(int Start, int End)> Matches { get; } = new();

    public ReadOnlySpan<char> Work => _work.AsSpan(0, WorkLength);

    public ReadOnlySpan<char> Text(Piece p) => _work.AsSpan(p.Start, p.Length);

    /// <summary>Resets the buffer to a single piece holding <paramref name="text"/>.</summary>
    public void Reset(ReadOnlySpan<char> text)
    {
        WorkLength = 0;
        Pieces.Clear();
        Next.Clear();
        int start = Append(text);
        if (text.Length > 0) Pieces.Add(new Piece(start, text.Length));
    }

    /// <summary>Appends text to the working buffer and returns its start offset.</summary>
    internal int Append(ReadOnlySpan<char> text)
    {
        if (WorkLength + text.Length > _work.Length)
            Array.Resize(ref _work, Math.Max(_work.Length * 2, WorkLength + text.Length));
        text.CopyTo(_work.AsSpan(WorkLength));
        int start = WorkLength;
        WorkLength += text.Length;
        return start;
    }

    /// <summary>Makes <see cref="Next"/> the current piece list (after a stage filled it).</summary>
    internal void SwapPieces()
    {
        (Pieces, Next) = (Next, Pieces);
        Next.Clear();
    }
}

/// <summary>One stage of a pre-tokenizer pipeline (HF <c>pre_tokenizer</c> node).</summary>
public interface IPreTokenizer
{
    /// <summary>Refines <see cref="PreTokenizeBuffer.Pieces"/> in place.</summary>
    void Apply(PreTokenizeBuffer buffer);
}

/// <summary>Finds all non-overlapping matches of a split pattern in a piece, left to right.</summary>
internal interface ISplitMatcher
{
    void FindAll(ReadOnlySpan<char> s, List<(int Start, int End)> matches);
}
