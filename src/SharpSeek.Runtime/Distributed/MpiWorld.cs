// The MPI job this process belongs to (MPI_COMM_WORLD): rank, size, the expert all-gather, the
// pipeline's point-to-point messages, a broadcast for rank 0's decisions, and a clean abort. Every failed call throws with the call and
// the rank named; a rank that dies is reported by mpirun, which ends the others (no hang).
using System.Runtime.InteropServices;
using SharpSeek.Model.Distributed;

namespace SharpSeek.Runtime.Distributed;

public sealed unsafe class MpiWorld : IExpertExchange, IPipelineLink, ICommandChannel, IDisposable
{
    private readonly OpenMpi _mpi;
    private bool _finalized;

    public int Rank { get; }
    public int Ranks { get; }
    /// <summary>Bytes this rank received in all-gathers (the communication volume; rank-local).</summary>
    public long BytesReceived { get; private set; }
    public long Exchanges { get; private set; }
    /// <summary>Bytes this rank received point to point (pipeline activations from the previous stage) and how many messages.</summary>
    public long PointToPointBytesReceived { get; private set; }
    public long PointToPointMessages { get; private set; }
    /// <summary>Bytes of broadcasts this rank took part in (rank 0's commands, the last stage's logits).</summary>
    public long BroadcastBytes { get; private set; }

    // One tag for the pipeline's messages and one for serve's commands: between two ranks, messages of
    // one tag are received in the order sent.
    private const int Tag = 26, CommandTag = 27;
    // MPI counts are int: larger messages go in pieces of at most this many bytes.
    private const int Piece = 1 << 30;

    private MpiWorld(OpenMpi mpi, int rank, int ranks) { _mpi = mpi; Rank = rank; Ranks = ranks; }

    /// <summary>Initialises MPI once per process (MPI_THREAD_SERIALIZED: one thread calls at a time).</summary>
    public static MpiWorld Init()
    {
        OpenMpi mpi = OpenMpi.Load();
        int flag = 0, provided = 0, rank = 0, size = 0;
        Check(mpi, mpi.Initialized(&flag), "MPI_Initialized", -1);
        if (flag != 0) throw new InvalidOperationException("MPI is already initialised in this process");
        Check(mpi, mpi.InitThread(null, null, OpenMpi.ThreadSerialized, &provided), "MPI_Init_thread", -1);
        Check(mpi, mpi.CommSetErrhandler(mpi.CommWorld, mpi.ErrorsReturn), "MPI_Comm_set_errhandler", -1);
        Check(mpi, mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank", -1);
        Check(mpi, mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size", rank);
        if (provided < OpenMpi.ThreadSerialized)
            throw new InvalidOperationException($"rank {rank}: Open MPI provides thread level {provided}, serialized ({OpenMpi.ThreadSerialized}) is needed");
        return new MpiWorld(mpi, rank, size);
    }

    public void AllGather(Span<byte> buffer, ReadOnlySpan<int> counts, ReadOnlySpan<int> offsets)
    {
        if (counts.Length != Ranks || offsets.Length != Ranks)
            throw new ArgumentException($"all-gather needs {Ranks} counts and offsets, got {counts.Length} and {offsets.Length}");
        long total = 0;
        for (int r = 0; r < Ranks; r++)
        {
            if (counts[r] < 0 || offsets[r] < 0 || (long)offsets[r] + counts[r] > buffer.Length)
                throw new ArgumentException($"all-gather block {r} [{offsets[r]}, +{counts[r]}) lies outside the {buffer.Length}-byte buffer");
            if (r != Rank) total += counts[r];
        }
        if (buffer.IsEmpty) return;   // every rank holds the same (empty) routing: nothing to send
        fixed (byte* b = buffer)
        fixed (int* c = counts, o = offsets)
            Check(_mpi, _mpi.Allgatherv(OpenMpi.InPlace, 0, _mpi.Byte, b, c, o, _mpi.Byte, _mpi.CommWorld), "MPI_Allgatherv", Rank);
        BytesReceived += total; Exchanges++;
    }

    /// <summary>Rank <paramref name="root"/>'s bytes to every rank.</summary>
    public void Broadcast(Span<byte> data, int root = 0)
    {
        CheckPeer(root, "broadcast root");
        fixed (byte* p = data)
            for (long at = 0; at < data.Length; at += Piece)
                Check(_mpi, _mpi.Bcast(p + at, (int)Math.Min(Piece, data.Length - at), _mpi.Byte, root, _mpi.CommWorld), "MPI_Bcast", Rank);
        BroadcastBytes += data.Length;
    }

    public void Send(ReadOnlySpan<byte> data, int to)
    {
        CheckPeer(to, "destination");
        fixed (byte* p = data)
            for (long at = 0; at < data.Length || at == 0; at += Piece)
            {
                Check(_mpi, _mpi.Send(p + at, (int)Math.Min(Piece, data.Length - at), _mpi.Byte, to, Tag, _mpi.CommWorld), $"MPI_Send to rank {to}", Rank);
                if (data.Length == 0) break;
            }
    }

    public void Receive(Span<byte> data, int from)
    {
        CheckPeer(from, "source");
        fixed (byte* p = data)
            for (long at = 0; at < data.Length || at == 0; at += Piece)
            {
                Check(_mpi, _mpi.Recv(p + at, (int)Math.Min(Piece, data.Length - at), _mpi.Byte, from, Tag, _mpi.CommWorld, OpenMpi.StatusIgnore), $"MPI_Recv from rank {from}", Rank);
                if (data.Length == 0) break;
            }
        PointToPointBytesReceived += data.Length; PointToPointMessages++;
    }

    public void SendToFollowers(ReadOnlySpan<int> message)
    {
        if (Rank != 0) throw new InvalidOperationException($"rank {Rank} cannot lead: commands come from rank 0");
        int length = message.Length;
        for (int r = 1; r < Ranks; r++)
        {
            Check(_mpi, _mpi.Send(&length, 1, _mpi.Int, r, CommandTag, _mpi.CommWorld), $"MPI_Send (command) to rank {r}", Rank);
            fixed (int* p = message)
                Check(_mpi, _mpi.Send(p, length, _mpi.Int, r, CommandTag, _mpi.CommWorld), $"MPI_Send (command) to rank {r}", Rank);
        }
    }

    /// <summary>
    /// Waits for rank 0's next command without holding a core: MPI_Iprobe, spinning briefly and then
    /// sleeping a millisecond between probes (a blocking receive would busy-poll while the server idles).
    /// </summary>
    public int[] ReceiveFromLeader()
    {
        int flag = 0;
        for (int spins = 0; ; spins++)
        {
            Check(_mpi, _mpi.Iprobe(0, CommandTag, _mpi.CommWorld, &flag, OpenMpi.StatusIgnore), "MPI_Iprobe (command)", Rank);
            if (flag != 0) break;
            if (spins < 64) Thread.SpinWait(64); else Thread.Sleep(1);
        }
        int length = 0;
        Check(_mpi, _mpi.Recv(&length, 1, _mpi.Int, 0, CommandTag, _mpi.CommWorld, OpenMpi.StatusIgnore), "MPI_Recv (command)", Rank);
        if (length < 0) throw new MpiException($"rank {Rank}: a command of {length} ints from rank 0");
        var message = new int[length];
        fixed (int* p = message)
            Check(_mpi, _mpi.Recv(p, length, _mpi.Int, 0, CommandTag, _mpi.CommWorld, OpenMpi.StatusIgnore), "MPI_Recv (command)", Rank);
        return message;
    }

    private void CheckPeer(int rank, string what)
    {
        if ((uint)rank >= (uint)Ranks) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"{what} must be a rank in [0, {Ranks})");
    }

    /// <summary>A 64-bit value decided on rank 0 (a sampling seed), the same on every rank.</summary>
    public ulong Broadcast(ulong value, int root = 0)
    {
        Span<ulong> v = [value];
        Broadcast(MemoryMarshal.AsBytes(v), root);
        return v[0];
    }

    public void Barrier() => Check(_mpi, _mpi.Barrier(_mpi.CommWorld), "MPI_Barrier", Rank);

    /// <summary>Ends every rank of the job with <paramref name="exitCode"/> (mpirun reports which rank aborted).</summary>
    public void Abort(int exitCode)
    {
        _mpi.Abort(_mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);   // MPI_Abort does not return; in case it does
    }

    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        Check(_mpi, _mpi.Finalize(), "MPI_Finalize", Rank);
    }

    private static void Check(OpenMpi mpi, int code, string call, int rank)
    {
        if (code != OpenMpi.Success)
            throw new MpiException($"{call} failed on rank {(rank < 0 ? "?" : rank.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {mpi.Describe(code)}");
    }
}

/// <summary>An MPI call that failed (a peer died or the job is broken); the message names the call and the rank.</summary>
public sealed class MpiException(string message) : Exception(message);
