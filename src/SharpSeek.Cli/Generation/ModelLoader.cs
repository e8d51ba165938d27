// Opens the model for generate/chat: --model DIR or models/default/ (found by walking up from the
// executable to SharpSeek.sln, else the current directory), a progress bar on a terminal and plain
// lines otherwise (always on stderr, stdout is for output), and a plain warning for random weights.
using System.Diagnostics;
using SharpSeek.Model.Architectures;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using Spectre.Console;

namespace SharpSeek.Cli.Generation;

public sealed class LoadedModel(ModelDirectory directory, Tokenizer? tokenizer) : IDisposable
{
    public ModelDirectory Directory { get; } = directory;
    public ILanguageModel Model => Directory.Model;
    public Tokenizer? Tokenizer { get; } = tokenizer;
    public void Dispose() => Directory.Dispose();
}

public static class ModelLoader
{
    /// <summary>models/default under the repository root (the folder holding SharpSeek.sln), else under the current directory.</summary>
    public static string DefaultModelDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SharpSeek.sln"))) return Path.Combine(dir.FullName, "models", "default");
        return Path.Combine(Directory.GetCurrentDirectory(), "models", "default");
    }

    /// <summary>Loads the model; with <paramref name="shard"/> only that rank's routed experts (expert parallel).</summary>
    public static LoadedModel Load(string? modelDir, int? maxContext, TextWriter log, HeadPrecision head = HeadPrecision.Bf16, SharpSeek.Model.Distributed.ExpertShard? shard = null,
        SharpSeek.Model.Distributed.IPipelineLink? pipeline = null, DraftHeadChoice draft = DraftHeadChoice.Auto,
        SharpSeek.Tensors.ActivationPath? activations = SharpSeek.Tensors.ActivationPath.Exact, SharpSeek.Formats.WeightsMemory weightsMemory = SharpSeek.Formats.WeightsMemory.Auto)
    {
        string dir = modelDir ?? DefaultModelDirectory();
        bool gguf = SharpSeek.Model.Gguf.Deepseek4Gguf.IsGgufPath(dir);
        if (gguf && !File.Exists(dir)) throw new CliException($"GGUF file '{dir}' does not exist");
        if (!gguf && !Directory.Exists(dir))
            throw new CliException(modelDir is null ? $"no --model given and the default model directory '{dir}' does not exist" : $"model directory '{dir}' does not exist");
        if (!gguf && !File.Exists(Path.Combine(dir, "config.json"))) throw new CliException($"model directory '{dir}' has no config.json");
        if (maxContext is < 2) throw new CliException("--context must be at least 2");
        var sw = Stopwatch.StartNew();
        ModelDirectory md = WithProgress(log, $"loading {dir}", () =>
        {
            try { return ModelDirectory.Open(dir, maxContext, c => Commands.V41Logits.TokenMap(dir, c), head, shard, pipeline, draft, activations, weightsMemory); }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or ArgumentException or KeyNotFoundException or InvalidOperationException)
            { throw new CliException($"cannot load the model in '{dir}': {e.Message}"); }
        });
        Tokenizer? tok = null;
        try
        {
            if (md.TokenizerPath is { } tp)
            {
                try { tok = Tokenizer.Load(tp); }
                catch (Exception e) when (e is TokenizerFormatException or IOException or FormatException) { throw new CliException($"{tp}: {e.Message}"); }
            }
            else tok = GgufTokenizer(md);
        }
        catch { md.Dispose(); throw; }
        log.WriteLine($"model: {dir} ({md.Config.NumLayers} layers, vocab {md.Config.VocabSize}, context {md.Model.MaxContext}, " +
            $"{(md.V41Config is not null ? (md.Model.HasDraftHead ? "DeepSeek V4.1, DSpark draft head" : "DeepSeek V4.1, no draft head") : md.Model is V4LanguageModel { DSpark: not null } ? "DSpark draft head" : md.Model.HasDraftHead ? "MTP draft head" : "no MTP")}, {(tok is null ? "no tokenizer" : md.TokenizerPath is null ? "GGUF vocabulary" : "tokenizer.json")}) loaded in {sw.Elapsed.TotalSeconds:F1} s");
        if (md.RandomWeights)
            log.WriteLine("note: this model has RANDOM weights (a test checkpoint): its output is meaningless noise.");
        return new LoadedModel(md, tok);
    }

    /// <summary>The tokenizer from a GGUF model's vocabulary (tokenizer.ggml.*), or null when it has none.</summary>
    public static Tokenizer? GgufTokenizer(ModelDirectory md)
    {
        if (md.Weights is not SharpSeek.Formats.Gguf.GgufTensorSource g || !Gguf.GgufVocabulary.HasVocabulary(g.Files.Metadata)) return null;
        try { return Gguf.GgufVocabulary.ToTokenizer(g.Files.Metadata, g.Description); }
        catch (TokenizerFormatException e) { throw new CliException(e.Message); }
    }

    private static T WithProgress<T>(TextWriter log, string what, Func<T> work)
    {
        bool terminal = ReferenceEquals(log, Console.Error) && !Console.IsErrorRedirected;
        if (!terminal)
        {
            log.WriteLine($"{what} ...");
            return work();
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress().AutoClear(true).Columns(new SpinnerColumn(), new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(what));
                task.IsIndeterminate = true;
                result = work();
                task.Value = task.MaxValue;
            });
        return result;
    }
}
