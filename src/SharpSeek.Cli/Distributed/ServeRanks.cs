// `serve --parallel expert|pipeline`: rank 0 runs the HTTP server and the engine over a FollowedModel
// (each model call sent to the other ranks first); every other rank loads its part of the model and
// follows those calls until rank 0 shuts down. SIGTERM on rank 0 stops its server (ASP.NET's own
// handler), after which the followers are told to return, so the whole job ends cleanly.
using SharpSeek.Runtime.Distributed;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Cli.Distributed;

public static class ServeRanks
{
    /// <summary>Rank 0 of a parallel job: the model the engine should use (null when not parallel).</summary>
    public static FollowedModel? Lead(ParallelRun run, ILanguageModel model)
    {
        if (run.World is null) return null;
        run.OnTerminate = _ => { };   // the server's own SIGTERM handling stops it; Shutdown then releases the followers
        return new FollowedModel(Batched(model), run.World);
    }

    /// <summary>A rank other than 0: follows rank 0's model calls until the server stops.</summary>
    public static int Follow(ParallelRun run, ILanguageModel model)
    {
        ModelFollower.Run(Batched(model), run.World!);
        return 0;
    }

    private static IBatchLanguageModel Batched(ILanguageModel model) =>
        model as IBatchLanguageModel ?? throw new CliException("serve --parallel needs a DeepSeek V4 model (V4.1 is not supported)");
}
