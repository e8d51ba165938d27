// The messages pipeline parallelism needs: a stage hands its activations (the hc residual streams of
// every token) to the next stage point to point, and the last stage's logits reach every rank by a
// broadcast. Implemented over MPI in the runtime (Runtime/Distributed) and in memory by the tests.
namespace SharpSeek.Model.Distributed;

public interface IPipelineLink
{
    int Rank { get; }
    int Ranks { get; }

    /// <summary>Sends <paramref name="data"/> to rank <paramref name="to"/> (returns when the buffer may be reused).</summary>
    void Send(ReadOnlySpan<byte> data, int to);

    /// <summary>Receives exactly <c>data.Length</c> bytes from rank <paramref name="from"/>.</summary>
    void Receive(Span<byte> data, int from);

    /// <summary>Rank <paramref name="root"/>'s bytes to every rank (every rank calls it with the same length).</summary>
    void Broadcast(Span<byte> data, int root);
}
