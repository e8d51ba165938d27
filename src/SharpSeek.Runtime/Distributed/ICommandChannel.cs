// How rank 0 tells the other ranks what to do next under `serve --parallel`: a message of ints to
// every follower, received in the order sent. Over MPI (MpiWorld: point-to-point, its own tag, the
// follower waiting politely while rank 0 idles) or in memory (tests).
namespace SharpSeek.Runtime.Distributed;

public interface ICommandChannel
{
    int Rank { get; }
    int Ranks { get; }

    /// <summary>Rank 0: the same message to every other rank.</summary>
    void SendToFollowers(ReadOnlySpan<int> message);

    /// <summary>A follower: the next message from rank 0 (waits for it).</summary>
    int[] ReceiveFromLeader();
}
