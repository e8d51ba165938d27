// The one collective expert parallelism needs: every rank contributes its experts' outputs (one
// contiguous byte block per rank, in rank order) and every rank receives all of them. Implemented
// over MPI in the runtime (Runtime/Distributed) and in memory by the tests.
namespace SharpSeek.Model.Distributed;

public interface IExpertExchange
{
    int Rank { get; }
    int Ranks { get; }

    /// <summary>
    /// All-gather in place: rank r's block is buffer[offsets[r] .. offsets[r] + counts[r]) (bytes);
    /// on return every block holds its owner's bytes. Every rank calls it with the same counts and offsets.
    /// </summary>
    void AllGather(Span<byte> buffer, ReadOnlySpan<int> counts, ReadOnlySpan<int> offsets);
}
