// `sharpseek train-draft --model DIR --out DIR2 [--steps N] [--prompts N] [--block B] ...`: trains a DSpark
// draft head for a V4 model on its own greedy outputs (SharpSeek.Training.Draft.DraftTrainer) and writes
// DIR2 = DIR plus the head (main weights copied byte for byte, config.json with the DSpark keys,
// dspark.safetensors, the index listing both). `generate --model DIR2 --speculative dspark` then drafts with it.
using System.CommandLine;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Training.Draft;

namespace SharpSeek.Cli.Commands;

public static class TrainDraftCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The V4 model directory to draft for (frozen)", Required = true };
        var outDir = new Option<string>("--out") { Description = "Output directory: the model plus the trained head", Required = true };
        var d = new DraftTrainOptions();
        var s = new DraftHeadShape();
        var prompts = new Option<int>("--prompts") { Description = "Corpus prompts completed greedily for the training data", DefaultValueFactory = _ => d.Prompts };
        var steps = new Option<int>("--steps") { Description = "Optimisation steps", DefaultValueFactory = _ => d.Steps };
        var perStep = new Option<int>("--sequences") { Description = "Sequences per step (all their completion anchors)", DefaultValueFactory = _ => d.SequencesPerStep };
        var maxNew = new Option<int>("--max-new") { Description = "Token budget of each greedy completion", DefaultValueFactory = _ => d.MaxNew };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => d.Lr };
        var seed = new Option<ulong>("--seed") { Description = "Seed (prompts, initialisation, order)", DefaultValueFactory = _ => d.Seed };
        var block = new Option<int>("--block") { Description = "Draft tokens per block (dspark_block_size)", DefaultValueFactory = _ => s.BlockSize };
        var stages = new Option<int>("--stages") { Description = "Draft stages", DefaultValueFactory = _ => s.Stages };
        var rank = new Option<int>("--markov-rank") { Description = "Rank of the Markov correction", DefaultValueFactory = _ => s.MarkovRank };
        var experts = new Option<int>("--experts") { Description = "Routed experts of the draft MoE", DefaultValueFactory = _ => s.RoutedExperts };
        var active = new Option<int>("--active-experts") { Description = "Experts per token of the draft MoE", DefaultValueFactory = _ => s.ActiveExperts };
        var targets = new Option<string>("--targets") { Description = "Target layers, comma-separated (default: every layer)" };
        var noise = new Option<int>("--noise-token") { Description = "Token id of the block's noise slots", DefaultValueFactory = _ => s.NoiseTokenId };
        var command = new Command("train-draft", "Train a DSpark draft head for a V4 model on its own greedy outputs (main model frozen)")
            { model, outDir, prompts, steps, perStep, maxNew, lr, seed, block, stages, rank, experts, active, targets, noise };
        command.SetAction(parse =>
        {
            int[]? layers = null;
            if (parse.GetValue(targets) is string t)
            {
                try { layers = t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray(); }
                catch (FormatException) { throw new CliException($"--targets '{t}' must be comma-separated layer ids"); }
            }
            var shape = new DraftHeadShape(parse.GetValue(block), parse.GetValue(stages), parse.GetValue(rank), parse.GetValue(experts), parse.GetValue(active), layers, parse.GetValue(noise));
            var o = new DraftTrainOptions(parse.GetValue(prompts), parse.GetValue(steps), parse.GetValue(perStep), parse.GetValue(maxNew), parse.GetValue(lr), Seed: parse.GetValue(seed));
            System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
            try
            {
                var (loss, acc) = DraftTrainer.Run(parse.GetValue(model)!, parse.GetValue(outDir)!, shape, o, Console.Out);
                Console.WriteLine($"done: {parse.GetValue(outDir)} (last 20 steps: loss {loss:F4}, row accuracy {acc:P1})");
            }
            catch (Exception e) when (e is ModelConfigException or ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or KeyNotFoundException or InvalidOperationException)
            {
                throw new CliException($"train-draft: {e.Message}");
            }
            return 0;
        });
        return command;
    }
}
