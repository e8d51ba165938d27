// One training batch: B sequences of T token ids (all starting at position 0), the next-token
// targets and the MTP targets (token after next); -1 = no loss at that position.
namespace SharpSeek.Training.Modeling;

public sealed record TrainBatch(int Batch, int SeqLen, int[] Ids, int[] Targets, int[] MtpTargets)
{
    public int Tokens => Batch * SeqLen;
}

/// <summary>The losses of one forward: total = lm + mtpWeight * mtp + indexerWeight * indexer KL.</summary>
public sealed record StepLosses(float Total, float Lm, float Mtp, float Indexer);
