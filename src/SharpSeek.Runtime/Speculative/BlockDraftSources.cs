// Drafters of several tokens per step. A block is drawn token by token: Row(i, previous) gives the
// logits of draft i given the token before it (the pending token for i = 0), so a drafter whose rows
// depend on the chosen tokens (DSpark's Markov head) and a depth-1 drafter share one verification loop.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Speculative;

public interface IBlockDraftSource
{
    /// <summary>Draft tokens per step.</summary>
    int Depth { get; }
    /// <summary>Starts a block after <paramref name="pending"/>, the token sampled for position sequence.Length (not fed yet).</summary>
    void Begin(ISequence sequence, int pending);
    /// <summary>Logits [VocabSize] of draft <paramref name="index"/>, the token after <paramref name="previous"/>.</summary>
    void Row(int index, int previous, Span<float> logits);
}

/// <summary>A one-token drafter (the MTP head, a test's forced draft) as a block of depth 1.</summary>
public sealed class SingleDraftSource(IDraftSource source) : IBlockDraftSource
{
    private ISequence? _sequence;
    public int Depth => 1;
    public void Begin(ISequence sequence, int pending) => _sequence = sequence;
    public void Row(int index, int previous, Span<float> logits)
    {
        if (index != 0 || _sequence is null) throw new InvalidOperationException("a depth-1 draft has one row, after Begin");
        source.Draft(_sequence, previous, logits);
    }
}

/// <summary>The DSpark head: one pass drafts the base rows of the block; each row gets the Markov correction of the token before it.</summary>
public sealed class DSparkDraftSource : IBlockDraftSource
{
    private readonly IBlockDraftModel _model;
    private readonly float[] _base;

    /// <param name="depth">Draft tokens proposed per step (default the whole block): the first rows of the full block (every block row sees the whole block, so the block itself is always drafted whole).</param>
    public DSparkDraftSource(IBlockDraftModel model, int? depth = null)
    {
        if (model.DraftBlockSize < 1) throw new ArgumentException("the model has no block draft head");
        if (depth is < 1 || depth > model.DraftBlockSize) throw new ArgumentOutOfRangeException(nameof(depth), $"draft length {depth} must be in [1, {model.DraftBlockSize}] (the head's block size)");
        _model = model;
        _base = new float[model.DraftBlockSize * model.VocabSize];
        Depth = depth ?? model.DraftBlockSize;
    }

    public int Depth { get; }
    public void Begin(ISequence sequence, int pending) => _model.DraftBlock(sequence, pending, _base);
    public void Row(int index, int previous, Span<float> logits)
    {
        int v = _model.VocabSize;
        _base.AsSpan(index * v, v).CopyTo(logits);
        _model.CorrectDraftRow(previous, logits);
    }
}
