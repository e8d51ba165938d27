// All memory of one sequence: its length and one AttentionState per block (main layers and MTP).
// Created by the runtime's memory pool and passed to every forward call: the model holds none.
using System.Numerics;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.State;

public sealed class SequenceState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private int _length, _mtpLength;

    public int Length
    {
        get => _length;
        internal set { _length = value; HighWater = Math.Max(HighWater, value); }
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
        internal set { _mtpLength = value; MtpHighWater = Math.Max(MtpHighWater, value); }
    }

    public int MtpHighWater { get; private set; }
    public int MaxRollback { get; }
    public AttentionState<T>[] Layers { get; }
    public AttentionState<T>[] Mtp { get; }

    public SequenceState(ModelConfig config, int maxRollback = 16)
    {
        if (maxRollback < 0) throw new ArgumentOutOfRangeException(nameof(maxRollback));
        MaxRollback = maxRollback;
        Layers = new AttentionState<T>[config.NumLayers];
        for (int i = 0; i < Layers.Length; i++) Layers[i] = new AttentionState<T>(config, config.CompressRatio(i), maxRollback);
        Mtp = new AttentionState<T>[config.NumMtpLayers];
        for (int i = 0; i < Mtp.Length; i++) Mtp[i] = new AttentionState<T>(config, 0, maxRollback + 1);
    }

    private SequenceState(SequenceState<T> o)
    {
        MaxRollback = o.MaxRollback;
        _length = o._length; HighWater = o.HighWater;
        _mtpLength = o._mtpLength; MtpHighWater = o.MtpHighWater;
        // Entries up to the high-water mark: a later Truncate may expose them again.
        Layers = o.Layers.Select(l => l.Clone(l.Ratio > 0 ? o.HighWater / l.Ratio : 0)).ToArray();
        Mtp = o.Mtp.Select(l => l.Clone(0)).ToArray();
    }

    /// <summary>
    /// An independent copy: feeding the same ids to the copy and to this state gives bit-identical
    /// results, and rolling either back is exactly as possible as before. Used for prefix reuse.
    /// </summary>
    public SequenceState<T> Clone() => new(this);

    public long BytesAllocated => Layers.Sum(l => l.BytesAllocated) + Mtp.Sum(l => l.BytesAllocated);

    /// <summary>
    /// Rolls the sequence back to <paramref name="length"/> tokens, exactly as if the later tokens had
    /// never been fed (speculative-decoding rejection). At most MaxRollback positions can be undone.
    /// </summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate a sequence of {Length} tokens to {length}");
        if (HighWater - length > MaxRollback)
            throw new InvalidOperationException(HighWater == Length
                ? $"cannot roll back {Length - length} tokens: this sequence keeps {MaxRollback} positions of slack"
                : $"cannot roll back to {length} tokens: positions up to {HighWater} were written and this sequence keeps {MaxRollback} positions of slack");
        Length = length;
        foreach (var l in Layers) l.Truncate(length);
        // MTP position p consumed token p + 1: position length - 1 saw a forgotten token.
        MtpLength = Math.Min(MtpLength, Math.Max(0, length - 1));
    }

    /// <summary>Rolls back only the MTP block's memory.</summary>
    public void TruncateMtp(int length)
    {
        if (length < 0 || length > MtpLength) throw new ArgumentOutOfRangeException(nameof(length));
        if (MtpHighWater - length > MaxRollback + 1) throw new InvalidOperationException($"cannot roll back the MTP memory by {MtpLength - length} positions");
        MtpLength = length;
    }
}
