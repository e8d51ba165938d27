// A rank other than 0 under `serve --parallel expert|pipeline`: runs the calls rank 0's engine makes
// (FollowerCommand), in order, on its own copy of the model and its own table of sequences, until
// rank 0 says shutdown. Its logits are discarded: rank 0 samples. The model's collectives (expert
// all-gathers, pipeline messages) happen inside these calls, matched with rank 0's.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Distributed;

public static class ModelFollower
{
    /// <summary>Follows until shutdown; returns the number of commands run.</summary>
    public static long Run(IBatchLanguageModel model, ICommandChannel channel)
    {
        var sequences = new Dictionary<int, ISequence>();
        ISequence Get(int slot) => sequences.TryGetValue(slot, out var s) ? s
            : throw new InvalidOperationException($"rank {channel.Rank}: rank 0 named sequence slot {slot}, which this rank does not hold (the ranks are out of step)");
        float[] scratch = [];
        Span<float> Logits(int rows)
        {
            if (scratch.Length < rows * model.VocabSize) scratch = new float[rows * model.VocabSize];
            return scratch.AsSpan(0, rows * model.VocabSize);
        }
        long count = 0;
        try
        {
            while (true)
            {
                int[] m = channel.ReceiveFromLeader();
                if (m.Length < FollowerCommand.HeaderInts) throw new InvalidDataException($"rank {channel.Rank}: a command of {m.Length} ints from rank 0");
                var op = (FollowerOp)m[0];
                int slot = m[1], a = m[2], b = m[3];
                ReadOnlySpan<int> payload = m.AsSpan(FollowerCommand.HeaderInts);
                count++;
                switch (op)
                {
                    case FollowerOp.Create: sequences.Add(slot, model.CreateSequence(a, b != 0)); break;
                    case FollowerOp.Forward: model.Forward(Get(slot), payload, Logits(payload.Length)); break;
                    case FollowerOp.ForwardLast: model.ForwardLast(Get(slot), payload, Logits(1)); break;
                    case FollowerOp.ForwardSteps: model.ForwardSteps(Get(slot), payload, Logits(payload.Length)); break;
                    case FollowerOp.ForwardBatch:
                    {
                        int n = payload.Length / 2;
                        var seqs = new ISequence[n];
                        for (int i = 0; i < n; i++) seqs[i] = Get(payload[i]);
                        model.ForwardBatch(seqs, payload[n..], Logits(n));
                        break;
                    }
                    case FollowerOp.ForwardDraft: model.ForwardDraft(Get(slot), a, Logits(1)); break;
                    case FollowerOp.Truncate: Get(slot).Truncate(a); break;
                    case FollowerOp.Fork: sequences.Add(a, Get(slot).Fork()); break;
                    case FollowerOp.Free: Get(slot).Dispose(); sequences.Remove(slot); break;
                    case FollowerOp.Shutdown: return count;
                    default: throw new InvalidDataException($"rank {channel.Rank}: unknown command {m[0]} from rank 0");
                }
            }
        }
        finally
        {
            foreach (var s in sequences.Values) s.Dispose();
        }
    }
}
