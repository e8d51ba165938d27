// `sharpseek imatrix --model DIR|FILE.gguf --text FILE [--chunk 512] [--chunks N] [--tokenizer tokenizer.json] --out FILE.imatrix.gguf`:
// an importance matrix in llama.cpp's GGUF imatrix format (what llama-imatrix writes): the calibration text
// tokenised with the model's tokenizer, run through the network in chunks, every linear's input squares summed
// per column (routed experts per expert over their tokens; ImatrixCollector). For `quantize --imatrix`.
using System.CommandLine;
using SharpSeek.Formats.Imatrix;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Gguf;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

namespace SharpSeek.Cli.Commands;

public static class ImatrixCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory or .gguf file (with a tokenizer: tokenizer.json beside it, or the GGUF vocabulary)", Required = true };
        var text = new Option<string>("--text") { Description = "Calibration text file (UTF-8)", Required = true };
        var chunk = new Option<int>("--chunk") { Description = "Tokens per chunk (each from an empty context, first token BOS)", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int>("--chunks") { Description = "At most this many chunks (0: every whole chunk of the text)", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output imatrix file (.gguf)", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json to tokenise the text with (default: the model's own)" };
        var command = new Command("imatrix", "Compute an importance matrix (llama.cpp's imatrix GGUF) from calibration text, for quantize --imatrix") { model, text, chunk, chunks, output, tokenizer };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!, textPath = parse.GetValue(text)!, outPath = parse.GetValue(output)!;
            int chunkSize = parse.GetValue(chunk), maxChunks = parse.GetValue(chunks);
            if (chunkSize < 2) throw new CliException($"--chunk must be at least 2, got {chunkSize}");
            if (maxChunks < 0) throw new CliException($"--chunks must be >= 0, got {maxChunks}");
            if (!outPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) throw new CliException($"--out must name a .gguf file, got '{outPath}'");
            string calibration = TextInput.ReadFile(textPath, "calibration text");
            // 1. the tokenizer, then the network with the collector as its input tap
            (var config, var opened) = LogitsCommand.OpenModel(dir, WeightsMemoryFlag.Read(parse));
            using var weights = opened;
            Tokenizer tok = LoadTokenizer(dir, weights, parse.GetValue(tokenizer));
            if (chunkSize > config.MaxPositions) throw new CliException($"--chunk {chunkSize} exceeds the model's max_position_embeddings {config.MaxPositions}");
            var collector = new ImatrixCollector(config);
            DeepSeekV4<float> net;
            try { net = DeepSeekV4<float>.Load(config, weights, inputTap: collector); }
            catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or ArgumentException) { throw new CliException($"cannot load the model in '{dir}': {e.Message}"); }
            int[] ids = tok.Encode(calibration);
            if (ids.Any(id => id >= config.VocabSize)) throw new CliException($"the tokenizer yields ids up to {ids.Max()}, outside the model's vocabulary [0, {config.VocabSize})");
            if (ids.Length < chunkSize) throw new CliException($"'{textPath}' is {ids.Length} tokens, fewer than one chunk of {chunkSize} (use a longer text or a smaller --chunk)");
            // 2. the chunks, then the file
            int ran = ImatrixCollector.Calibrate(net, ids, chunkSize, maxChunks,
                progress: (c, n) => Console.Error.Write($"\rimatrix: chunk {c}/{n}{(c == n ? "\n" : "")}"));
            try { ImatrixFile.Write(outPath, collector.ToImatrix([textPath], ran, chunkSize)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot write '{outPath}': {e.Message}"); }
            Console.Error.WriteLine($"wrote {collector.Tensors.Count} entries from {ran} chunks of {chunkSize} tokens ({ids.Length} tokens in the text) to {outPath}");
            return 0;
        });
        return command;
    }

    // --tokenizer, else tokenizer.json beside the model, else a GGUF's own vocabulary.
    private static Tokenizer LoadTokenizer(string dir, SharpSeek.Formats.Safetensors.ITensorSource weights, string? given)
    {
        if (given is not null && !File.Exists(given)) throw new CliException($"--tokenizer '{given}' does not exist");
        string beside = given ?? Path.Combine(SharpSeek.Model.Gguf.Deepseek4Gguf.IsGgufPath(dir) ? Path.GetDirectoryName(Path.GetFullPath(dir))! : dir, "tokenizer.json");
        if (File.Exists(beside))
        {
            try { return Tokenizer.Load(beside); }
            catch (Exception e) when (e is TokenizerFormatException or IOException or FormatException) { throw new CliException($"{beside}: {e.Message}"); }
        }
        if (weights is SharpSeek.Formats.Gguf.GgufTensorSource g && Gguf.GgufVocabulary.HasVocabulary(g.Files.Metadata))
        {
            try { return Gguf.GgufVocabulary.ToTokenizer(g.Files.Metadata, g.Description); }
            catch (TokenizerFormatException e) { throw new CliException(e.Message); }
        }
        throw new CliException($"'{dir}' has no tokenizer (no tokenizer.json beside it, no GGUF vocabulary): give one with --tokenizer");
    }
}
