// Opens a model directory (config.json + safetensors, optionally tokenizer.json and generation_config.json) as a runnable
// model. Every failure names the directory or file.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;

namespace SharpSeek.Runtime.Models;

public sealed class ModelDirectory : IDisposable
{
    private readonly ITensorSource _weights;

    public string Path { get; }
    public ModelConfig Config { get; }
    public DeepSeekV4<float> Network { get; }
    public V4LanguageModel Model { get; }
    /// <summary>tokenizer.json next to the weights, or null (the golden checkpoints have none).</summary>
    public string? TokenizerPath { get; }
    /// <summary>True when the directory says its weights are random (README or sharpseek.json marker).</summary>
    public bool RandomWeights { get; }
    /// <summary>The directory's chat defaults (generation_config.json), or <see cref="GenerationDefaults.None"/>.</summary>
    public GenerationDefaults Defaults { get; }

    private ModelDirectory(string path, ModelConfig config, ITensorSource weights, int? maxContext, GenerationDefaults defaults)
    {
        Path = path; Config = config; _weights = weights;
        Network = DeepSeekV4<float>.Load(config, weights);
        Model = new V4LanguageModel(Network, maxContext);
        string tok = System.IO.Path.Combine(path, "tokenizer.json");
        TokenizerPath = File.Exists(tok) ? tok : null;
        RandomWeights = File.Exists(System.IO.Path.Combine(path, "RANDOM_WEIGHTS"));
        Defaults = defaults;
    }

    public static ModelDirectory Open(string path, int? maxContext = null)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"model directory '{path}' does not exist");
        string cfg = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(cfg)) throw new FileNotFoundException($"model directory '{path}' has no config.json", cfg);
        ModelConfig config = ModelConfig.Load(cfg);
        GenerationDefaults defaults = GenerationDefaults.Load(path);
        ITensorSource weights = Checkpoint.Open(path);
        try { return new ModelDirectory(path, config, weights, maxContext, defaults); }
        catch { weights.Dispose(); throw; }
    }

    public void Dispose() => _weights.Dispose();
}
