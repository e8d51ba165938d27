// N pipeline stages as N threads of one test: point-to-point messages through one queue per ordered
// pair of ranks and the broadcast through a shared buffer and barriers, so the pipeline is tested
// without MPI (the mpirun tests live in SharpSeek.Cli.Tests).
using System.Collections.Concurrent;
using SharpSeek.Model.Distributed;

namespace SharpSeek.Model.Tests.Distributed;

public sealed class InMemoryPipeline
{
    private readonly BlockingCollection<byte[]>[,] _queues;
    private readonly Barrier _barrier;
    private byte[] _shared = [];

    public int Ranks { get; }
    /// <summary>Bytes sent point to point by all ranks together.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);
    private long _sent;
    /// <summary>Point-to-point messages sent by all ranks together.</summary>
    public long Messages => Interlocked.Read(ref _messages);
    private long _messages;

    public InMemoryPipeline(int ranks)
    {
        Ranks = ranks;
        _barrier = new Barrier(ranks);
        _queues = new BlockingCollection<byte[]>[ranks, ranks];
        for (int a = 0; a < ranks; a++)
            for (int b = 0; b < ranks; b++) _queues[a, b] = [];
    }

    public IPipelineLink Rank(int rank) => new Member(this, rank);

    private sealed class Member(InMemoryPipeline group, int rank) : IPipelineLink
    {
        public int Rank { get; } = rank;
        public int Ranks => group.Ranks;

        public void Send(ReadOnlySpan<byte> data, int to)
        {
            Interlocked.Add(ref group._sent, data.Length);
            Interlocked.Increment(ref group._messages);
            group._queues[Rank, to].Add(data.ToArray());
        }

        public void Receive(Span<byte> data, int from)
        {
            byte[] m = group._queues[from, Rank].Take();
            if (m.Length != data.Length) throw new InvalidOperationException($"rank {Rank} expected {data.Length} bytes from rank {from}, got {m.Length}");
            m.CopyTo(data);
        }

        public void Broadcast(Span<byte> data, int root)
        {
            if (Rank == root) lock (group) group._shared = data.ToArray();
            group._barrier.SignalAndWait();
            if (Rank != root) group._shared.AsSpan(0, data.Length).CopyTo(data);
            group._barrier.SignalAndWait();
        }
    }
}
