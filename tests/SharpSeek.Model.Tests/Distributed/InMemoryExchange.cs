// N ranks as N threads of one test: the expert all-gather through a shared buffer and barriers,
// so the sharded MoE is tested without MPI (the mpirun tests live in SharpSeek.Cli.Tests).
using SharpSeek.Model.Distributed;

namespace SharpSeek.Model.Tests.Distributed;

public sealed class InMemoryGroup(int ranks)
{
    private readonly Barrier _barrier = new(ranks);
    private byte[] _shared = [];

    public int Ranks { get; } = ranks;
    public IExpertExchange Rank(int rank) => new Member(this, rank);

    private sealed class Member(InMemoryGroup group, int rank) : IExpertExchange
    {
        public int Rank { get; } = rank;
        public int Ranks => group.Ranks;

        public void AllGather(Span<byte> buffer, ReadOnlySpan<int> counts, ReadOnlySpan<int> offsets)
        {
            lock (group) if (group._shared.Length < buffer.Length) group._shared = new byte[buffer.Length];
            group._barrier.SignalAndWait();
            buffer.Slice(offsets[Rank], counts[Rank]).CopyTo(group._shared.AsSpan(offsets[Rank]));
            group._barrier.SignalAndWait();
            for (int r = 0; r < Ranks; r++)
                if (r != Rank) group._shared.AsSpan(offsets[r], counts[r]).CopyTo(buffer.Slice(offsets[r]));
            group._barrier.SignalAndWait();
        }
    }
}
