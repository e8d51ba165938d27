// `sharpseek init-random --config config.json --out DIR [--seed S] [--direct-fp4]`: a random-weight
// checkpoint of any V4 geometry in the official format, written tensor by tensor (bounded memory).
using System.CommandLine;
using System.Diagnostics;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Cli.Commands;

public static class InitRandomCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "config.json of the geometry", Required = true };
        var outDir = new Option<string>("--out") { Description = "Output directory", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 0 };
        var directFp4 = new Option<bool>("--direct-fp4") { Description = "V4: draw the FP4 experts' codes directly (uniform codes, one scale per tensor for the initialiser's std) instead of quantising float draws: much faster, for checkpoints bigger than memory" };
        var command = new Command("init-random", "Write a random-weight V4 checkpoint (official layout) for a config") { config, outDir, seed, directFp4 };
        command.SetAction(parse =>
        {
            string cfg = parse.GetValue(config)!, dir = parse.GetValue(outDir)!;
            if (!File.Exists(cfg)) throw new CliException($"config file '{cfg}' does not exist");
            var sw = Stopwatch.StartNew();
            try { Directory.CreateDirectory(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot create output directory '{dir}': {e.Message}"); }
            long bytes;
            try
            {
                bool v41 = V41ConfigParser.IsV41(ModelConfigParser.ReadFile(cfg));
                if (v41 && parse.GetValue(directFp4)) throw new CliException("--direct-fp4 is for V4 configs only");
                bytes = v41
                    ? V41RandomCheckpoint.Write(cfg, dir, parse.GetValue(seed))
                    : RandomCheckpoint.Write(cfg, dir, parse.GetValue(seed), directFp4: parse.GetValue(directFp4));
            }
            catch (ModelConfigException e) { throw new CliException(e.Message); }
            Console.Error.WriteLine($"wrote {InspectCommand.Bytes(bytes)} of random weights to {dir} in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }
}
