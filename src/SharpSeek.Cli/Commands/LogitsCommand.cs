// `sharpseek logits --model DIR --ids 5,17,3 [--decode 9,4] [--precision f32|f64] --out FILE`:
// prefill the ids in one pass, decode the --decode ids one at a time, save the logits.
using SharpSeek.Formats;
using System.CommandLine;
using System.Numerics;
using System.Runtime.InteropServices;
using SharpSeek.Cli.Distributed;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.State;
using SharpSeek.Tensors;

namespace SharpSeek.Cli.Commands;

public static class LogitsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory or .gguf file", Required = true };
        var ids = new Option<string>("--ids") { Description = "Prompt ids, comma separated", Required = true };
        var decode = new Option<string?>("--decode") { Description = "Ids to decode one at a time after the prefill" };
        var precision = new Option<string>("--precision") { Description = "f32 (engine) or f64 (reference-precision evaluation)", DefaultValueFactory = _ => "f32" };
        var output = new Option<string>("--out") { Description = "Output safetensors file", Required = true };
        var aq = new Option<bool>("--activation-quant") { Description = "Emulate the official GPU numerics: FP8-quantise the input of every FP8/FP4 linear" };
        var parallel = ParallelRun.Option();
        var image = ImageFiles.Option();
        var batchIds = new Option<string[]>("--batch-ids")
        {
            Description = "Another sequence beside --ids (repeatable): each is prefilled on its own, then every --decode id goes to all of them in ONE batched call; " +
                "prefill_logits holds the sequences' rows one after another, decode_logits [steps x sequences, vocab]",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("logits", "Write prefill and decode logits of a model to a safetensors file") { model, ids, decode, precision, output, aq, parallel, image, batchIds };
        command.SetAction(parse => ParallelRun.Run(parse.GetValue(parallel)!, run =>
        {
            string dir = parse.GetValue(model)!;
            int[] prompt = IdList.Parse(parse.GetValue(ids)!, "--ids");
            if (prompt.Length == 0) throw new CliException("--ids must hold at least one id");
            int[] dec = parse.GetValue(decode) is { } d ? IdList.Parse(d, "--decode") : [];
            int[][] more = (parse.GetValue(batchIds) ?? []).Select(b => IdList.Parse(b, "--batch-ids")).ToArray();
            if (more.Any(m => m.Length == 0)) throw new CliException("--batch-ids must hold at least one id");
            string prec = parse.GetValue(precision)!;
            string[] images = parse.GetValue(image) ?? [];
            if (prec is not ("f32" or "f64")) throw new CliException($"--precision must be f32 or f64, got '{prec}'");
            // The model opened once: a directory (V4.1 runs through V41Logits), or a deepseek4 / deepseek41 GGUF.
            ModelConfig config;
            V41Config? g41 = null;
            ITensorSource opened;
            if (!SharpSeek.Model.Gguf.Deepseek4Gguf.IsGgufPath(dir))
            {
                string cfgPath = RequireConfig(dir);
                if (V41ConfigParser.IsV41(ModelConfigParser.ReadFile(cfgPath)))
                {
                    if (parse.GetValue(aq)) throw new CliException("--activation-quant is not available for V4.1 checkpoints");
                    if (more.Length > 0) throw new CliException("--batch-ids is not available for V4.1 checkpoints");
                    if (run.Mode != "none") throw new CliException($"--parallel {run.Mode} is available for DeepSeek V4 checkpoints only; '{dir}' is V4.1");
                    return V41Logits.Run(dir, V41Config.Load(cfgPath), prompt, dec, prec, parse.GetValue(output)!, images);
                }
                (config, opened) = OpenModel(dir, WeightsMemoryFlag.Read(parse));
            }
            else (config, g41, opened) = OpenAny(dir, WeightsMemoryFlag.Read(parse));
            using ITensorSource weights = opened;
            if (g41 is not null)
            {
                // a deepseek41 GGUF: the text model, with its stored Engram token map
                if (parse.GetValue(aq) || more.Length > 0 || run.Mode != "none" || images.Length > 0)
                    throw new CliException("--activation-quant, --batch-ids, --parallel and --image are not available for a V4.1 GGUF");
                int[]? map;
                try { map = SharpSeek.Model.Gguf.Deepseek4Gguf.EngramTokenMap((SharpSeek.Formats.Gguf.GgufTensorSource)weights, g41); }
                catch (InvalidDataException e) { throw new CliException(e.Message); }
                return V41Logits.Run(weights, map, g41, prompt, dec, prec, parse.GetValue(output)!, images, dir);
            }
            if (images.Length > 0) throw new CliException("--image: this model has no vision tower (V4.1 with vision_n_layers > 0 reads images)");
            var writer = new SafetensorsWriter();
            bool quant = parse.GetValue(aq);
            int[][] prompts = [prompt, .. more];
            if (prec == "f64") Run<double>(config, weights, prompts, dec, writer, DType.F64, quant, run);
            else Run<float>(config, weights, prompts, dec, writer, DType.F32, quant, run);
            if (!run.IsRoot) return 0;   // every rank computed the same logits; rank 0 writes them
            string outPath = parse.GetValue(output)!;
            try { writer.Save(outPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot write '{outPath}': {e.Message}"); }
            Console.Error.WriteLine($"wrote prefill_logits [{prompts.Sum(p => p.Length)}, {config.VocabSize}] and decode_logits [{dec.Length * prompts.Length}, {config.VocabSize}] to {outPath}");
            return 0;
        }));
        return command;
    }

    /// <summary>The one model loader (ModelDirectory.OpenWeights), its file errors as CLI errors.</summary>
    internal static (ModelConfig, ITensorSource) OpenModel(string path, WeightsMemory weightsMemory = WeightsMemory.Auto)
    {
        try { return SharpSeek.Runtime.Models.ModelDirectory.OpenWeights(path, weightsMemory); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or NotSupportedException) { throw new CliException(e.Message); }
    }

    /// <summary>The same for V4 or V4.1 (V41 set for a V4.1 checkpoint).</summary>
    internal static (ModelConfig, V41Config?, ITensorSource) OpenAny(string path, WeightsMemory weightsMemory = WeightsMemory.Auto)
    {
        try { return SharpSeek.Runtime.Models.ModelDirectory.OpenAll(path, weightsMemory); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw new CliException(e.Message); }
    }

    internal static string RequireConfig(string dir)
    {
        if (!Directory.Exists(dir)) throw new CliException($"model directory '{dir}' does not exist");
        string cfg = Path.Combine(dir, "config.json");
        if (!File.Exists(cfg)) throw new CliException($"model directory '{dir}' has no config.json");
        return cfg;
    }

    private static void Run<T>(ModelConfig config, ITensorSource weights, int[][] prompts, int[] dec, SafetensorsWriter writer, DType dtype, bool activationQuant,
        ParallelRun run) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var net = DeepSeekV4<T>.Load(config, weights, activationQuant, shard: run.Shard, stage: run.StageOf(config));
        foreach (int id in prompts.SelectMany(p => p).Concat(dec))
            if ((uint)id >= (uint)config.VocabSize) throw new CliException($"token id {id} is outside the vocabulary [0, {config.VocabSize})");
        int V = config.VocabSize, n = prompts.Length, total = prompts.Sum(p => p.Length);
        var states = prompts.Select(_ => new SequenceState<T>(config)).ToArray();
        T[] pl = new T[total * V], dl = new T[dec.Length * n * V];
        for (int s = 0, at = 0; s < n; at += prompts[s].Length, s++) net.Forward(prompts[s], states[s], pl.AsSpan(at * V, prompts[s].Length * V));
        // Decode: one call per step, the step's id for every sequence (one sequence: exactly a single decode step).
        for (int j = 0; j < dec.Length; j++) net.ForwardBatch(Enumerable.Repeat(dec[j], n).ToArray(), states, dl.AsSpan(j * n * V, n * V));
        writer.Add("prefill_logits", dtype, [total, V], MemoryMarshal.AsBytes<T>(pl));
        writer.Add("decode_logits", dtype, [dec.Length * n, V], MemoryMarshal.AsBytes<T>(dl));
    }
}

/// <summary>Parses "5,17,3" id lists with clear errors.</summary>
public static class IdList
{
    public static int[] Parse(string text, string flag)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
                throw new CliException($"{flag}: '{parts[i]}' is not a non-negative integer id");
        return ids;
    }
}
