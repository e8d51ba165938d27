// Opens a model directory (config.json + safetensors, optionally tokenizer.json) as a runnable
// model. Every failure names the directory or file.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Runtime.Models;

public sealed class ModelDirectory : IDisposable
{
    private readonly ITensorSource _weights;

    public string Path { get; }
    /// <summary>The geometry (for V4.1: V41Config.Base, what it shares with V4).</summary>
    public ModelConfig Config { get; }
    /// <summary>The V4 network, or null for a V4.1 checkpoint (then V41Config is set).</summary>
    public DeepSeekV4<float>? Network { get; }
    public V41Config? V41Config { get; }
    public ILanguageModel Model { get; }
    /// <summary>tokenizer.json next to the weights, or null (the golden checkpoints have none).</summary>
    public string? TokenizerPath { get; }
    /// <summary>True when the directory says its weights are random (README or sharpseek.json marker).</summary>
    public bool RandomWeights { get; }

    private ModelDirectory(string path, ModelConfig config, ITensorSource weights, int? maxContext, V41Config? v41 = null, int[]? engramTokenMap = null)
    {
        Path = path; Config = config; _weights = weights; V41Config = v41;
        if (v41 is null)
        {
            Network = DeepSeekV4<float>.Load(config, weights);
            Model = new V4LanguageModel(Network, maxContext);
        }
        else Model = new V41LanguageModel(DeepSeekV41<float>.Load(v41, weights, engramTokenMap), maxContext);
        string tok = System.IO.Path.Combine(path, "tokenizer.json");
        TokenizerPath = File.Exists(tok) ? tok : null;
        RandomWeights = File.Exists(System.IO.Path.Combine(path, "RANDOM_WEIGHTS"));
    }

    /// <param name="engramTokenMap">
    /// For V4.1 checkpoints with Engram layers: builds the compressed token map (the front end owns the
    /// tokenizer; Runtime does not read tokenizer.json).
    /// </param>
    public static ModelDirectory Open(string path, int? maxContext = null, Func<V41Config, int[]?>? engramTokenMap = null)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"model directory '{path}' does not exist");
        string cfg = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(cfg)) throw new FileNotFoundException($"model directory '{path}' has no config.json", cfg);
        V41Config? v41 = V41ConfigParser.IsV41(ModelConfigParser.ReadFile(cfg)) ? V41Config.Load(cfg) : null;
        ModelConfig config = v41?.Base ?? ModelConfig.Load(cfg);
        int[]? map = v41 is { Engram.Enabled: true } ? engramTokenMap?.Invoke(v41) ?? throw new InvalidOperationException($"'{path}' is a V4.1 checkpoint with Engram layers: its compressed token map (from tokenizer.json) is needed") : null;
        ITensorSource weights = Checkpoint.Open(path);
        try { return new ModelDirectory(path, config, weights, maxContext, v41, map); }
        catch { weights.Dispose(); throw; }
    }

    public void Dispose() => _weights.Dispose();
}
