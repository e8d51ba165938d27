// All memory of one sequence: its ledger (length, high-water mark, rollback slack) and one
// AttentionState per block (main layers and MTP), built from the architecture's memory plan.
// Created by the runtime's memory pool and passed to every forward call: the model holds none.
using System.Numerics;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.State;

public sealed class SequenceState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SequenceLedger _ledger;

    public int Length
    {
        get => _ledger.Length;
        internal set => _ledger.Length = value;
    }

    /// <summary>The most positions ever written: rollback is measured from here (see SequenceLedger).</summary>
    public int HighWater => _ledger.HighWater;

    /// <summary>Positions already consumed by the MTP block (its own window memory).</summary>
    public int MtpLength
    {
        get => _ledger.MtpLength;
        internal set => _ledger.MtpLength = value;
    }

    public int MtpHighWater => _ledger.MtpHighWater;
    public int MaxRollback => _ledger.MaxRollback;
    public ModelMemoryPlan Plan { get; }
    public AttentionState<T>[] Layers { get; }
    public AttentionState<T>[] Mtp { get; }

    public SequenceState(ModelConfig config, int maxRollback = 16) : this(DeepSeekV4.MemoryPlan(config), maxRollback) { }

    public SequenceState(ModelMemoryPlan plan, int maxRollback = 16)
    {
        _ledger = new SequenceLedger(maxRollback);
        Plan = plan;
        Layers = plan.Layers.Select(p => new AttentionState<T>(p, _ledger, isMtp: false, maxRollback)).ToArray();
        Mtp = plan.Mtp.Select(p => new AttentionState<T>(p, _ledger, isMtp: true, _ledger.MtpRollback)).ToArray();
    }

    private SequenceState(SequenceState<T> o)
    {
        _ledger = o._ledger.Clone();
        Plan = o.Plan;
        // Entries up to the high-water mark: a later Truncate may expose them again.
        Layers = o.Layers.Select(l => l.Clone(_ledger, l.Plan.EntriesWithin(o.HighWater))).ToArray();
        Mtp = o.Mtp.Select(l => l.Clone(_ledger, l.Plan.EntriesWithin(o.MtpHighWater))).ToArray();
    }

    /// <summary>
    /// An independent copy: feeding the same ids to the copy and to this state gives bit-identical
    /// results, and rolling either back is exactly as possible as before. Used for prefix reuse.
    /// </summary>
    public SequenceState<T> Clone() => new(this);

    /// <summary>The memory block <paramref name="block"/> attends (main layers 0.., then the MTP blocks).</summary>
    public IAttentionMemory<T> Memory(int block) => block < Layers.Length ? Layers[block] : Mtp[block - Layers.Length];

    public long BytesAllocated => Layers.Sum(l => l.BytesAllocated) + Mtp.Sum(l => l.BytesAllocated);

    /// <summary>
    /// Rolls the sequence back to <paramref name="length"/> tokens, exactly as if the later tokens had
    /// never been fed (speculative-decoding rejection). At most MaxRollback positions can be undone.
    /// Stores need no change: what they show is derived from the ledger's length.
    /// </summary>
    public void Truncate(int length) => _ledger.Truncate(length);

    /// <summary>Rolls back only the MTP block's memory.</summary>
    public void TruncateMtp(int length) => _ledger.TruncateMtp(length);
}
