// `sharpseek train --preset nano --out DIR [--resume] [--config config.json] [--steps N] ...`:
// trains a V4-architecture model with SharpSeek.Training. Progress bar on a terminal, plain
// lines otherwise; the loss log is DIR/loss.log; DIR is a loadable model directory after every save.
using System.CommandLine;
using SharpSeek.Model.Config;
using SharpSeek.Training;
using SharpSeek.Training.Data;
using SharpSeek.Training.Checkpoints;
using Spectre.Console;

namespace SharpSeek.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Geometry and run preset: nano (the default model) or micro", DefaultValueFactory = _ => "nano" };
        var config = new Option<string>("--config") { Description = "config.json of another geometry (run options still from the preset and flags)" };
        var outDir = new Option<string>("--out") { Description = "Output directory (model + checkpoint + loss.log)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from DIR/checkpoint/train_state.bin" };
        var steps = new Option<int?>("--steps") { Description = "Optimisation steps of the main cosine schedule" };
        var extendSteps = new Option<int?>("--extend-steps") { Description = "Low-learning-rate steps after --steps, drawn from the preset's tail mix (0 = none)" };
        var batch = new Option<int?>("--batch") { Description = "Sequences per step" };
        var seqLen = new Option<int?>("--seq-len") { Description = "Tokens per sequence" };
        var lr = new Option<float?>("--lr") { Description = "Peak learning rate" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed (initialisation, data, tokenizer)" };
        var mix = new Option<string>("--mix") { Description = $"Training mix in percent, e.g. \"{CorpusMix.V5}\" (omitted tasks 0, sum 100)" };
        var extendMix = new Option<string>("--extend-mix") { Description = "Mix of the low-learning-rate tail, in the form of --mix (default: the preset's)" };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Stop after this many steps of this invocation (resume later)" };
        var floatOut = new Option<string>("--float-out") { Description = "Also export the unquantised (BF16) twin of the model here, for evaluation" };
        var command = new Command("train", "Train a DeepSeek V4-architecture model (autograd, AdamW, synthetic corpus)")
            { preset, config, outDir, resume, steps, extendSteps, batch, seqLen, lr, seed, mix, extendMix, maxSteps, floatOut };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(outDir)!;
            (string json, TrainOptions o) p;
            try { p = Presets.Get(parse.GetValue(preset)!); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
            string json = p.json;
            if (parse.GetValue(config) is string cfg)
            {
                if (!File.Exists(cfg)) throw new CliException($"config file '{cfg}' does not exist");
                json = SharpSeek.Model.Config.ModelConfigParser.ReadFile(cfg);
            }
            CorpusMix corpusMix = p.o.Mix;
            if (parse.GetValue(mix) is string mixText)
            {
                try { corpusMix = CorpusMix.Parse(mixText); }
                catch (FormatException e) { throw new CliException($"--mix: {e.Message}"); }
            }
            CorpusMix tailMix = p.o.ExtendMix;
            if (parse.GetValue(extendMix) is string tailText)
            {
                try { tailMix = CorpusMix.Parse(tailText); }
                catch (FormatException e) { throw new CliException($"--extend-mix: {e.Message}"); }
            }
            TrainOptions o = p.o with
            {
                Steps = parse.GetValue(steps) ?? p.o.Steps,
                ExtendSteps = parse.GetValue(extendSteps) ?? p.o.ExtendSteps,
                Batch = parse.GetValue(batch) ?? p.o.Batch,
                SeqLen = parse.GetValue(seqLen) ?? p.o.SeqLen,
                Lr = parse.GetValue(lr) ?? p.o.Lr,
                Seed = parse.GetValue(seed) ?? p.o.Seed,
                Mix = corpusMix,
                ExtendMix = tailMix,
            };
            Trainer trainer;
            try { trainer = new Trainer(json, o, dir, parse.GetValue(resume)); }
            catch (Exception e) when (e is ModelConfigException or CheckpointException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                throw new CliException(e.Message);
            }
            Console.Error.WriteLine($"training {trainer.Parameters.Count:N0} parameters ({trainer.Config.NumLayers} layers + {trainer.Config.NumMtpLayers} MTP, dim {trainer.Config.Dim}), " +
                                    $"{o.Steps} + {o.ExtendSteps} tail steps of {o.Batch}x{o.SeqLen} tokens, from step {trainer.Step}, into {dir}");
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            // `kill` (SIGTERM) stops at the end of the current step and saves too, as Ctrl-C does.
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
            int? limit = parse.GetValue(maxSteps);
            if (!Console.IsOutputRedirected && !Console.IsErrorRedirected)
            {
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("training", maxValue: o.TotalSteps);
                        task.Value = trainer.Step;
                        trainer.Run(r => { task.Value = r.Step; task.Description = Markup.Escape(Line(r)); }, limit, cts.Token);
                    });
            }
            else trainer.Run(r => { if (r.Step % 10 == 0 || r.Step == r.TotalSteps || r.Step <= 3) Console.WriteLine(Line(r)); }, limit, cts.Token);
            if (cts.IsCancellationRequested) { trainer.Save(); Console.Error.WriteLine($"interrupted at step {trainer.Step}; state saved, continue with --resume"); }
            if (parse.GetValue(floatOut) is string fdir)
            {
                SharpSeek.Training.Export.FloatExporter.Export(trainer.Parameters, File.ReadAllText(Path.Combine(dir, "config.json")), trainer.TokenizerPath, fdir);
                Console.Error.WriteLine($"unquantised twin in {fdir}");
            }
            Console.Error.WriteLine($"done at step {trainer.Step}; model in {dir}, loss log {Path.Combine(dir, "loss.log")}");
            return 0;
        });
        return command;
    }

    private static string Line(StepReport r) =>
        $"step {r.Step}/{r.TotalSteps} loss {r.Losses.Total:F4} (lm {r.Losses.Lm:F4} mtp {r.Losses.Mtp:F4} idx {r.Losses.Indexer:F4}) " +
        $"|g| {r.GradNorm:F2} lr {r.Lr:E2} {r.TokensPerSecond:F0} tok/s elapsed {r.Elapsed:hh\\:mm\\:ss} eta {r.Eta:hh\\:mm\\:ss}";
}
