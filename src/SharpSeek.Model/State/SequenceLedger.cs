// The bookkeeping of one sequence's memory, apart from its tensors: how many positions are in,
// the high-water mark (the most ever written), the rollback slack, and the same for the MTP block.
// Stores derive their visible contents from it (e.g. compressed entries = length / ratio).
namespace SharpSeek.Model.State;

public sealed class SequenceLedger
{
    private int _length, _mtpLength;

    public SequenceLedger(int maxRollback)
    {
        if (maxRollback < 0) throw new ArgumentOutOfRangeException(nameof(maxRollback));
        MaxRollback = maxRollback;
    }

    public int MaxRollback { get; }

    public int Length
    {
        get => _length;
        set { _length = value; HighWater = Math.Max(HighWater, value); }
    }

    /// <summary>
    /// The most positions ever written. Ring slots beyond Length may hold positions that were rolled
    /// back, so how far a sequence can roll back is measured from here, not from Length.
    /// </summary>
    public int HighWater { get; private set; }

    /// <summary>Positions already consumed by the MTP block (its own window memory).</summary>
    public int MtpLength
    {
        get => _mtpLength;
        set { _mtpLength = value; MtpHighWater = Math.Max(MtpHighWater, value); }
    }

    public int MtpHighWater { get; private set; }

    /// <summary>Rows of slack the MTP window keeps: one more than the main layers (it runs a position behind).</summary>
    public int MtpRollback => MaxRollback + 1;

    /// <summary>An independent copy of the counters.</summary>
    public SequenceLedger Clone() => new(MaxRollback) { _length = _length, HighWater = HighWater, _mtpLength = _mtpLength, MtpHighWater = MtpHighWater };

    /// <summary>Rolls back to <paramref name="length"/> positions, or throws when the slack does not allow it.</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate a sequence of {Length} tokens to {length}");
        if (HighWater - length > MaxRollback)
            throw new InvalidOperationException(HighWater == Length
                ? $"cannot roll back {Length - length} tokens: this sequence keeps {MaxRollback} positions of slack"
                : $"cannot roll back to {length} tokens: positions up to {HighWater} were written and this sequence keeps {MaxRollback} positions of slack");
        Length = length;
        // MTP position p consumed token p + 1: position length - 1 saw a forgotten token.
        MtpLength = Math.Min(MtpLength, Math.Max(0, length - 1));
    }

    /// <summary>Rolls back only the MTP block's positions.</summary>
    public void TruncateMtp(int length)
    {
        if (length < 0 || length > MtpLength) throw new ArgumentOutOfRangeException(nameof(length));
        if (MtpHighWater - length > MtpRollback) throw new InvalidOperationException($"cannot roll back the MTP memory by {MtpLength - length} positions");
        MtpLength = length;
    }
}
