// `--parallel none|expert` for logits, bench and generate: THE place a command becomes one rank of an
// mpirun job. Every rank runs the same command over the same inputs (attention, mHC, gates, shared
// experts and head replicated; routed experts sharded, see RoutedExperts), so the ranks stay in step
// through the MoE all-gathers; only rank 0 writes output. A failing rank aborts the whole job with its
// rank named; a rank killed from outside is reported by mpirun, which stops the rest (no hang).
using System.CommandLine;
using System.Runtime.InteropServices;
using SharpSeek.Model.Distributed;
using SharpSeek.Runtime.Distributed;

namespace SharpSeek.Cli.Distributed;

public sealed class ParallelRun
{
    /// <summary>This rank's routed experts (null: one process holds them all).</summary>
    public ExpertShard? Shard { get; }
    public MpiWorld? World { get; }
    public int Rank => World?.Rank ?? 0;
    public int Ranks => World?.Ranks ?? 1;
    /// <summary>Rank 0 (or the only process): the one that prints and writes files.</summary>
    public bool IsRoot => Rank == 0;

    private ParallelRun(MpiWorld? world)
    {
        World = world;
        Shard = world is null ? null : ExpertShard.For(world);
    }

    public static Option<string> Option() => new("--parallel")
    {
        Description = "none (one process) or expert (under mpirun: each rank maps only its share of every MoE layer's routed experts)",
        DefaultValueFactory = _ => "none",
    };

    /// <summary>Runs <paramref name="body"/> as this process's rank of the job <paramref name="mode"/> asks for.</summary>
    public static int Run(string mode, Func<ParallelRun, int> body)
    {
        if (mode == "none") return body(new ParallelRun(null));
        if (mode != "expert") throw new CliException($"--parallel must be none or expert, got '{mode}'");
        MpiWorld world;
        try { world = MpiWorld.Init(); }
        catch (Exception e) when (e is DllNotFoundException or MpiException or InvalidOperationException)
        { throw new CliException($"--parallel expert: {e.Message}"); }
        var run = new ParallelRun(world);
        // mpirun stops the surviving ranks with SIGTERM when one dies (or the job is interrupted): say so instead of vanishing.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ =>
            Console.Error.WriteLine($"error: rank {world.Rank} of {world.Ranks} stopped by mpirun: another rank of the job ended (mpirun names it) or the job was interrupted"));
        int code;
        try
        {
            code = body(run);
            world.Barrier();   // nobody finalises while another rank still needs it
        }
        catch (Exception e)
        {
            code = CliHost.Report(e, $"rank {world.Rank} of {world.Ranks}: ");   // one write: the ranks share stderr
            world.Abort(code == 0 ? 1 : code);
            return code;
        }
        world.Dispose();
        return code;
    }

    /// <summary>Bytes received in expert all-gathers so far on this rank, and how many all-gathers.</summary>
    public (long Bytes, long Exchanges) Traffic => World is null ? (0, 0) : (World.BytesReceived, World.Exchanges);
}
