// Opens a model directory (config.json + safetensors, optionally tokenizer.json) as a runnable
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

    private ModelDirectory(string path, ModelConfig config, ITensorSource weights, int? maxContext, HeadPrecision head)
    {
        Path = path; Config = config; _weights = weights;
        Network = DeepSeekV4<float>.Load(config, weights, head: head);
        Model = new V4LanguageModel(Network, maxContext);
        string tok = System.IO.Path.Combine(path, "tokenizer.json");
        TokenizerPath = File.Exists(tok) ? tok : null;
        RandomWeights = File.Exists(System.IO.Path.Combine(path, "RANDOM_WEIGHTS"));
    }

    /// <summary>Opens <paramref name="path"/>; <paramref name="head"/> chooses how the vocabulary head runs (see HeadPrecision).</summary>
    public static ModelDirectory Open(string path, int? maxContext = null, HeadPrecision head = HeadPrecision.Bf16)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"model directory '{path}' does not exist");
        string cfg = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(cfg)) throw new FileNotFoundException($"model directory '{path}' has no config.json", cfg);
        ModelConfig config = ModelConfig.Load(cfg);
        ITensorSource weights = Checkpoint.Open(path);
        try { return new ModelDirectory(path, config, weights, maxContext, head); }
        catch { weights.Dispose(); throw; }
    }

    public void Dispose() => _weights.Dispose();
}
