// A model whose draft head proposes a whole block of tokens from one pass (DSpark): base logits for
// every block row at once, then a per-token correction that depends on the token chosen before it
// (the Markov head), so the caller draws the block token by token with its own sampler.
namespace SharpSeek.Runtime.Models;

public interface IBlockDraftModel : ILanguageModel
{
    /// <summary>Draft tokens per block.</summary>
    int DraftBlockSize { get; }

    /// <summary>
    /// Base draft logits [DraftBlockSize, VocabSize] for the tokens after <paramref name="anchor"/>, the token
    /// sampled for position sequence.Length (not fed yet). Needs a sequence created with useDraftHead.
    /// </summary>
    void DraftBlock(ISequence sequence, int anchor, Span<float> logits);

    /// <summary>Adds the correction of <paramref name="previous"/> (the token row i follows: the anchor, then draft i-1) to a base row [VocabSize].</summary>
    void CorrectDraftRow(int previous, Span<float> row);
}
