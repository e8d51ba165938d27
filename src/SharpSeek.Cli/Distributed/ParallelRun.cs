// `--parallel none|expert|pipeline` for logits, bench, generate and serve: THE place a command becomes
// one rank of an mpirun job. Under expert and pipeline alike every rank runs the same command over the
// same inputs (expert: routed experts sharded, the rest replicated, ranks in step through the MoE
// all-gathers; pipeline: each rank runs its layer range, activations passed rank to rank, the last
// rank's logits broadcast to all), so every rank samples the same tokens; only rank 0 writes output.
// A failing rank aborts the whole job with its rank named; a rank killed from outside is reported by
// mpirun, which stops the rest (no hang).
using System.CommandLine;
using System.Runtime.InteropServices;
using SharpSeek.Model.Config;
using SharpSeek.Model.Distributed;
using SharpSeek.Runtime.Distributed;

namespace SharpSeek.Cli.Distributed;

public sealed class ParallelRun
{
    /// <summary>"none", "expert" or "pipeline".</summary>
    public string Mode { get; }
    /// <summary>This rank's routed experts (expert parallel; null otherwise).</summary>
    public ExpertShard? Shard { get; }
    /// <summary>The link between pipeline stages (pipeline parallel; null otherwise): the model takes its layer range from it.</summary>
    public IPipelineLink? Pipeline { get; }
    public MpiWorld? World { get; }
    public int Rank => World?.Rank ?? 0;
    public int Ranks => World?.Ranks ?? 1;
    /// <summary>Rank 0 (or the only process): the one that prints and writes files.</summary>
    public bool IsRoot => Rank == 0;

    private ParallelRun(string mode, MpiWorld? world)
    {
        Mode = mode; World = world;
        Shard = world is not null && mode == "expert" ? ExpertShard.For(world) : null;
        Pipeline = world is not null && mode == "pipeline" ? world : null;
    }

    public static Option<string> Option() => new("--parallel")
    {
        Description = "none (one process), expert (under mpirun: each rank maps only its share of every MoE layer's routed experts) " +
            "or pipeline (under mpirun: each rank maps only its contiguous range of layers)",
        DefaultValueFactory = _ => "none",
    };

    /// <summary>This rank's pipeline stage for <paramref name="config"/> (null unless pipeline parallel).</summary>
    public PipelineStage? StageOf(ModelConfig config)
    {
        if (Pipeline is null) return null;
        try { return PipelineSplit.For(config, Pipeline); }
        catch (ArgumentOutOfRangeException e) { throw new CliException($"--parallel pipeline: {e.Message.Split(" (Parameter")[0]}"); }
    }

    /// <summary>Runs <paramref name="body"/> as this process's rank of the job <paramref name="mode"/> asks for.</summary>
    public static int Run(string mode, Func<ParallelRun, int> body)
    {
        if (mode == "none") return body(new ParallelRun(mode, null));
        if (mode is not ("expert" or "pipeline")) throw new CliException($"--parallel must be none, expert or pipeline, got '{mode}'");
        MpiWorld world;
        try { world = MpiWorld.Init(); }
        catch (Exception e) when (e is DllNotFoundException or MpiException or InvalidOperationException)
        { throw new CliException($"--parallel {mode}: {e.Message}"); }
        var run = new ParallelRun(mode, world);
        // mpirun stops the surviving ranks with SIGTERM when one dies (or the job is interrupted): say so instead of vanishing.
        // (Under serve, rank 0 handles SIGTERM itself: it shuts the server down and tells the other ranks.)
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            if (run.OnTerminate is { } handler) { handler(ctx); return; }
            Console.Error.WriteLine($"error: rank {world.Rank} of {world.Ranks} stopped by mpirun: another rank of the job ended (mpirun names it) or the job was interrupted");
        });
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

    /// <summary>What SIGTERM does on this rank instead of the default report (serve's clean shutdown sets it).</summary>
    public Action<PosixSignalContext>? OnTerminate { get; set; }

    /// <summary>Bytes received in expert all-gathers so far on this rank, and how many all-gathers.</summary>
    public (long Bytes, long Exchanges) Traffic => World is null ? (0, 0) : (World.BytesReceived, World.Exchanges);

    /// <summary>Pipeline: activation bytes received from the previous stage, messages, and broadcast bytes (logits) on this rank.</summary>
    public (long Bytes, long Messages, long Broadcast) PipelineTraffic =>
        World is null ? (0, 0, 0) : (World.PointToPointBytesReceived, World.PointToPointMessages, World.BroadcastBytes);
}
