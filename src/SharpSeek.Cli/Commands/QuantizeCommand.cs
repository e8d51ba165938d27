// `sharpseek quantize --model DIR|FILE.gguf --out FILE.gguf [--preset q8_0|lossless|q8_0-all|f32] [--experts T]
// [--attn T] [--shared T] [--embed T] [--head T] [--default T] [--tokenizer tokenizer.json]`: an
// official-layout checkpoint as a llama.cpp `deepseek4` GGUF, streamed tensor by tensor.
using System.CommandLine;
using System.Diagnostics;
using SharpSeek.Cli.Gguf;
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Cli.Commands;

public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Official-layout checkpoint directory (config.json + safetensors) or a deepseek4 .gguf to re-quantise", Required = true };
        var output = new Option<string>("--out") { Description = "Output .gguf file", Required = true };
        var preset = new Option<string>("--preset") { Description = $"Type recipe: {string.Join(", ", GgufRecipe.Presets.Keys)}", DefaultValueFactory = _ => "q8_0" };
        var experts = new Option<string?>("--experts") { Description = "ggml type of the routed experts" };
        var attn = new Option<string?>("--attn") { Description = "ggml type of the attention, indexer and compressor matrices" };
        var shared = new Option<string?>("--shared") { Description = "ggml type of the shared experts" };
        var embed = new Option<string?>("--embed") { Description = "ggml type of the token embedding" };
        var head = new Option<string?>("--head") { Description = "ggml type of the output head" };
        var dflt = new Option<string?>("--default") { Description = "ggml type of every other matrix" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json for the GGUF vocabulary (default: the one in --model, if any)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only print the tensor types and the file size (needs only config.json)" };
        var command = new Command("quantize", "Write a checkpoint as a deepseek4 GGUF with a per-tensor-class type recipe")
            { model, output, preset, experts, attn, shared, embed, head, dflt, tokenizer, dryRun };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) throw new CliException($"--out must name a .gguf file, got '{outPath}'");
            string p = parse.GetValue(preset)!;
            if (!GgufRecipe.Presets.TryGetValue(p, out GgufRecipe? recipe)) throw new CliException($"--preset '{p}' is not one of {string.Join(", ", GgufRecipe.Presets.Keys)}");
            recipe = recipe with
            {
                Experts = Type(parse.GetValue(experts), "--experts") ?? recipe.Experts,
                Attention = Type(parse.GetValue(attn), "--attn") ?? recipe.Attention,
                Shared = Type(parse.GetValue(shared), "--shared") ?? recipe.Shared,
                Embedding = Type(parse.GetValue(embed), "--embed") ?? recipe.Embedding,
                Head = Type(parse.GetValue(head), "--head") ?? recipe.Head,
                Default = Type(parse.GetValue(dflt), "--default") ?? recipe.Default,
            };
            bool fromGguf = Deepseek4Gguf.IsGgufPath(dir);
            if (fromGguf && File.Exists(dir) && Path.GetFullPath(dir) == Path.GetFullPath(outPath)) throw new CliException("--out must differ from the GGUF being re-quantised");
            // A directory's config alone is enough for --dry-run; a GGUF's config is in the file.
            ModelConfig config;
            ITensorSource? opened = null;
            if (fromGguf) (config, opened) = LogitsCommand.OpenModel(dir);
            else config = ModelConfig.Load(LogitsCommand.RequireConfig(dir));
            using ITensorSource? openedFirst = opened;
            if (parse.GetValue(dryRun))
            {
                var plan = Deepseek4GgufWriter.Plan(config, recipe);
                Summarise(plan);
                Console.Error.WriteLine($"{plan.Count} tensors, {InspectCommand.Bytes(Deepseek4GgufWriter.DataBytes(plan))} of tensor data (main layers; no MTP block)");
                return 0;
            }
            using ITensorSource? fromDirectory = opened is null ? Checkpoint.Open(dir) : null;
            ITensorSource weights = opened ?? fromDirectory!;
            string? tok = parse.GetValue(tokenizer) ?? (!fromGguf && File.Exists(Path.Combine(dir, "tokenizer.json")) ? Path.Combine(dir, "tokenizer.json") : null);
            if (tok is not null && !File.Exists(tok)) throw new CliException($"--tokenizer '{tok}' does not exist");
            var sw = Stopwatch.StartNew();
            var extra = new List<KeyValuePair<string, GgufValue>> { new("general.name", GgufValue.Of(Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar)))) };
            if (tok is not null) extra.AddRange(GgufVocabulary.FromTokenizerJson(tok, config.VocabSize, config.BosTokenId, config.EosTokenId));
            else if (weights is GgufTensorSource g && GgufVocabulary.HasVocabulary(g.Files.Metadata))   // re-quantising: keep the vocabulary
                extra.AddRange(g.Files.Metadata.Where(p => p.Key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal)));
            else if (!extra.Any(p => p.Key == "tokenizer.ggml.tokens")) Console.Error.WriteLine("note: no tokenizer.json: the GGUF has no vocabulary (llama.cpp will not load it; SharpSeek runs it on ids)");
            if (config.CompressRatios.Take(config.NumLayers).Any(r => r is not (0 or 4 or 128)))
                Console.Error.WriteLine("note: compression ratios other than 0, 4 and 128: llama.cpp's deepseek4 loader refuses this file (SharpSeek runs it)");
            var written = Deepseek4GgufWriter.Write(outPath, config, weights, recipe, extra);
            long bytes = new FileInfo(outPath).Length;
            Summarise(written);
            Console.Error.WriteLine($"wrote {written.Count} tensors, {InspectCommand.Bytes(bytes)} to {outPath} in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static void Summarise(IReadOnlyList<Deepseek4GgufWriter.Written> tensors)
    {
        foreach (var g in tensors.GroupBy(w => (w.Class, w.Type)).OrderBy(g => g.Key.Class))
            Console.Error.WriteLine($"  {g.Key.Class,-10} {GgmlTypes.Info(g.Key.Type).Name,-7} {g.Count(),5} tensors {InspectCommand.Bytes(Deepseek4GgufWriter.DataBytes(g)),12}");
    }

    private static GgmlType? Type(string? name, string flag)
    {
        if (name is null) return null;
        if (Enum.TryParse(name, ignoreCase: true, out GgmlType t) && GgmlQuantize.CanQuantize(t))
            return !GgmlQuantize.NeedsImportance(t) ? t
                : throw new CliException($"{flag} '{name}' needs an importance matrix: ggml refuses to quantise {t} without one (IQ2_S, IQ3_XXS, IQ3_S and IQ1_M do not need one)");
        throw new CliException($"{flag} '{name}' is not a type quantize writes (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M)");
    }
}
