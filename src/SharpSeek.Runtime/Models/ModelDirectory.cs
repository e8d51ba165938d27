// Opens a model directory (config.json + safetensors, optionally tokenizer.json) or a deepseek4
// GGUF file as a runnable model: THE place a model path becomes a config and weights. Every
// failure names the directory or file.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.Gguf;

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

    private ModelDirectory(string path, ModelConfig config, ITensorSource weights, int? maxContext, ExpertShard? shard)
    {
        Path = path; Config = config; _weights = weights;
        Network = DeepSeekV4<float>.Load(config, weights, shard: shard);
        Model = new V4LanguageModel(Network, maxContext);
        // A GGUF file: tokenizer.json beside it if there is one (else the caller builds one from the GGUF vocabulary).
        string dir = Deepseek4Gguf.IsGgufPath(path) ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))! : path;
        string tok = System.IO.Path.Combine(dir, "tokenizer.json");
        TokenizerPath = File.Exists(tok) ? tok : null;
        RandomWeights = !Deepseek4Gguf.IsGgufPath(path) && File.Exists(System.IO.Path.Combine(path, "RANDOM_WEIGHTS"));
    }

    /// <summary>The weights behind the model (for a GGUF file, its tensor source with the metadata and vocabulary).</summary>
    public ITensorSource Weights => _weights;

    /// <summary>Opens a model; with <paramref name="shard"/> only that rank's routed experts are mapped (expert parallel).</summary>
    public static ModelDirectory Open(string path, int? maxContext = null, ExpertShard? shard = null)
    {
        (ModelConfig config, ITensorSource weights) = OpenWeights(path);
        try { return new ModelDirectory(path, config, weights, maxContext, shard); }
        catch { weights.Dispose(); throw; }
    }

    /// <summary>
    /// A model path as config and weights: a directory (config.json + safetensors) or a deepseek4 GGUF
    /// file or split set (config from its metadata).
    /// </summary>
    public static (ModelConfig Config, ITensorSource Weights) OpenWeights(string path)
    {
        if (Deepseek4Gguf.IsGgufPath(path))
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"GGUF file '{path}' does not exist", path);
            return Deepseek4Gguf.Open(path);
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"model directory '{path}' does not exist");
        string cfg = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(cfg)) throw new FileNotFoundException($"model directory '{path}' has no config.json", cfg);
        ModelConfig config = ModelConfig.Load(cfg);
        return (config, Checkpoint.Open(path));
    }

    public void Dispose() => _weights.Dispose();
}
