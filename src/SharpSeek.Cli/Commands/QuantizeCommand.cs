// `sharpseek quantize --model DIR|FILE.gguf --out FILE.gguf [--preset q8_0|lossless|q8_0-all|f32] [--experts T]
// [--attn T] [--shared T] [--embed T] [--head T] [--default T] [--tokenizer tokenizer.json] [--imatrix FILE]`: an
// official-layout checkpoint as a llama.cpp `deepseek4` GGUF, streamed tensor by tensor; with --imatrix (llama.cpp's
// imatrix GGUF or .dat, e.g. from `sharpseek imatrix`) each matrix is quantised with its importance, as llama-quantize does.
using System.CommandLine;
using System.Diagnostics;
using SharpSeek.Cli.Gguf;
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
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
        var mtp = new Option<bool>("--mtp") { Description = "Also write the MTP block as llama.cpp's separate MTP GGUF, 'mtp-' + the --out name beside it (loaded with the model: generate --speculative)" };
        var imatrix = new Option<string?>("--imatrix") { Description = "Importance matrix (llama.cpp imatrix .gguf or .dat, e.g. from `sharpseek imatrix`) for the K, 4/5-bit and IQ types" };
        var command = new Command("quantize", "Write a checkpoint as a deepseek4 GGUF (V4.1: deepseek41) with a per-tensor-class type recipe")
            { model, output, preset, experts, attn, shared, embed, head, dflt, tokenizer, dryRun, mtp, imatrix };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) throw new CliException($"--out must name a .gguf file, got '{outPath}'");
            string p = parse.GetValue(preset)!;
            if (!GgufRecipe.Presets.TryGetValue(p, out GgufRecipe? recipe)) throw new CliException($"--preset '{p}' is not one of {string.Join(", ", GgufRecipe.Presets.Keys)}");
            recipe = recipe with
            {
                Experts = Type(parse.GetValue(experts), "--experts", parse.GetValue(imatrix) is not null) ?? recipe.Experts,
                Attention = Type(parse.GetValue(attn), "--attn", parse.GetValue(imatrix) is not null) ?? recipe.Attention,
                Shared = Type(parse.GetValue(shared), "--shared", parse.GetValue(imatrix) is not null) ?? recipe.Shared,
                Embedding = Type(parse.GetValue(embed), "--embed", parse.GetValue(imatrix) is not null) ?? recipe.Embedding,
                Head = Type(parse.GetValue(head), "--head", parse.GetValue(imatrix) is not null) ?? recipe.Head,
                Default = Type(parse.GetValue(dflt), "--default", parse.GetValue(imatrix) is not null) ?? recipe.Default,
            };
            bool fromGguf = Deepseek4Gguf.IsGgufPath(dir);
            if (fromGguf && File.Exists(dir) && Path.GetFullPath(dir) == Path.GetFullPath(outPath)) throw new CliException("--out must differ from the GGUF being re-quantised");
            // A directory's config alone is enough for --dry-run; a GGUF's config is in the file.
            ModelConfig config;
            V41Config? v41 = null;
            ITensorSource? opened = null;
            if (fromGguf) (config, v41, opened) = LogitsCommand.OpenAny(dir, QuantizeMemory(parse));
            else
            {
                string cfgPath = LogitsCommand.RequireConfig(dir);
                if (V41ConfigParser.IsV41(ModelConfigParser.ReadFile(cfgPath))) { v41 = V41Config.Load(cfgPath); config = v41.Base; }
                else config = ModelConfig.Load(cfgPath);
            }
            using ITensorSource? openedFirst = opened;
            if (v41 is not null) Console.Error.WriteLine("note: DeepSeek V4.1: a deepseek41 GGUF of the text model (no vision tower, no DSpark head), as llama.cpp's converter writes it");
            if (parse.GetValue(mtp) && (v41 is not null || config.MtpBlocks == 0)) throw new CliException(v41 is not null ? "--mtp: a V4.1 GGUF holds no draft head (its DSpark head is not written)" : "--mtp: the model has no MTP block (num_nextn_predict_layers is 0)");
            if (parse.GetValue(dryRun))
            {
                var plan = v41 is null ? Deepseek4GgufWriter.Plan(config, recipe) : Deepseek4GgufWriter.Plan(v41, recipe);
                Summarise(plan);
                Console.Error.WriteLine($"{plan.Count} tensors, {InspectCommand.Bytes(Deepseek4GgufWriter.DataBytes(plan))} of tensor data (main layers; no MTP block)");
                return 0;
            }
            using ITensorSource? fromDirectory = opened is null ? Checkpoint.Open(dir, QuantizeMemory(parse)) : null;
            ITensorSource weights = opened ?? fromDirectory!;
            string? tok = parse.GetValue(tokenizer) ?? (!fromGguf && File.Exists(Path.Combine(dir, "tokenizer.json")) ? Path.Combine(dir, "tokenizer.json") : null);
            if (tok is not null && !File.Exists(tok)) throw new CliException($"--tokenizer '{tok}' does not exist");
            var sw = Stopwatch.StartNew();
            var extra = new List<KeyValuePair<string, GgufValue>> { new("general.name", GgufValue.Of(Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar)))) };
            if (tok is not null) extra.AddRange(GgufVocabulary.FromTokenizerJson(tok, config.VocabSize, config.BosTokenId, config.EosTokenId));
            else if (weights is GgufTensorSource g && GgufVocabulary.HasVocabulary(g.Files.Metadata))   // re-quantising: keep the vocabulary
                extra.AddRange(g.Files.Metadata.Where(p => p.Key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal)));
            else if (!extra.Any(p => p.Key == "tokenizer.ggml.tokens")) Console.Error.WriteLine("note: no tokenizer.json: the GGUF has no vocabulary (llama.cpp will not load it; SharpSeek runs it on ids)");
            if (v41 is null && config.CompressRatios.Take(config.NumLayers).Any(r => r is not (0 or 4 or 128)))
                Console.Error.WriteLine("note: compression ratios other than 0, 4 and 128: llama.cpp's deepseek4 loader refuses this file (SharpSeek runs it)");
            ImatrixData? importance = null;
            if (parse.GetValue(imatrix) is { } imPath)
            {
                try { importance = ImatrixFile.Read(imPath); }
                catch (Exception e) when (e is IOException or InvalidDataException) { throw new CliException($"--imatrix: {e.Message}"); }
                extra.Add(new("quantize.imatrix.file", GgufValue.Of(imPath)));
                if (importance.Datasets.Count > 0) extra.Add(new("quantize.imatrix.dataset", GgufValue.Of(importance.Datasets[^1])));
                extra.Add(new("quantize.imatrix.entries_count", GgufValue.Of(importance.Entries.Count)));
                extra.Add(new("quantize.imatrix.chunks_count", GgufValue.Of(importance.ChunkCount)));
            }
            var plain = new List<string>();
            IReadOnlyList<Deepseek4GgufWriter.Written> written;
            if (v41 is null) written = Deepseek4GgufWriter.Write(outPath, config, weights, recipe, extra, importance, plain);
            else
            {
                int[]? map;
                try { map = weights is GgufTensorSource g41 ? Deepseek4Gguf.EngramTokenMap(g41, v41) : V41Logits.TokenMap(dir, v41); }
                catch (InvalidDataException e) { throw new CliException(e.Message); }
                written = Deepseek4GgufWriter.Write(outPath, v41, weights, recipe, extra, map, importance, plain);
            }
            long bytes = new FileInfo(outPath).Length;
            if (plain.Count > 0)
                Console.Error.WriteLine($"note: the importance matrix has no entry for {plain.Count} tensor(s), quantised without one: {string.Join(", ", plain.Take(4))}{(plain.Count > 4 ? ", ..." : "")}");
            Summarise(written);
            Console.Error.WriteLine($"wrote {written.Count} tensors, {InspectCommand.Bytes(bytes)} to {outPath} in {sw.Elapsed.TotalSeconds:F1} s");
            if (parse.GetValue(mtp))
            {
                string mtpPath = Deepseek4Gguf.MtpPath(outPath);
                var block = Deepseek4GgufWriter.WriteMtp(mtpPath, config, weights, recipe, extra);
                Console.Error.WriteLine($"wrote {block.Count} tensors, {InspectCommand.Bytes(new FileInfo(mtpPath).Length)} to {mtpPath} (the MTP block; read with the model)");
            }
            return 0;
        });
        return command;
    }

    private static void Summarise(IReadOnlyList<Deepseek4GgufWriter.Written> tensors)
    {
        foreach (var g in tensors.GroupBy(w => (w.Class, w.Type)).OrderBy(g => g.Key.Class))
            Console.Error.WriteLine($"  {g.Key.Class,-10} {GgmlTypes.Info(g.Key.Type).Name,-7} {g.Count(),5} tensors {InspectCommand.Bytes(Deepseek4GgufWriter.DataBytes(g)),12}");
    }

    private static GgmlType? Type(string? name, string flag, bool withImportance)
    {
        if (name is null) return null;
        if (Enum.TryParse(name, ignoreCase: true, out GgmlType t) && GgmlQuantize.CanQuantize(t))
            return withImportance || !GgmlImportance.Required(t) ? t
                : throw new CliException($"{flag} '{name}' needs an importance matrix (--imatrix FILE, from `sharpseek imatrix`): ggml refuses to quantise {t} without one (IQ2_S, IQ3_XXS, IQ3_S and IQ1_M do not need one)");
        throw new CliException($"{flag} '{name}' is not a type quantize writes (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M)");
    }

    /// <summary>quantize reads every tensor once: the source stays mapped unless --weights-memory asks otherwise.</summary>
    private static SharpSeek.Formats.WeightsMemory QuantizeMemory(ParseResult parse) =>
        parse.GetResult(WeightsMemoryFlag.Option) is { Implicit: false } ? WeightsMemoryFlag.Read(parse) : SharpSeek.Formats.WeightsMemory.Mapped;

}
