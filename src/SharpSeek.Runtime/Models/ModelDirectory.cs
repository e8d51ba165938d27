// Opens a model directory (config.json + safetensors, optionally tokenizer.json and
// generation_config.json) or a deepseek4 GGUF file (those two files looked for beside it) as a
// runnable model: THE place a model path becomes a config and weights. Every failure names the
// directory or file.
using SharpSeek.Formats;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Distributed;
using SharpSeek.Model.Gguf;
using SharpSeek.Tensors;

namespace SharpSeek.Runtime.Models;

/// <summary>Which draft head a V4 model instance drafts with when its checkpoint has both (sharpseek-nano: MTP and DSpark).</summary>
public enum DraftHeadChoice
{
    /// <summary>The MTP block when there is one, else the DSpark head (0731 layout).</summary>
    Auto,
    Mtp,
    DSpark,
}

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
    /// <summary>The directory's chat defaults (generation_config.json), or <see cref="GenerationDefaults.None"/>.</summary>
    public GenerationDefaults Defaults { get; }

    private ModelDirectory(string path, ModelConfig config, ITensorSource weights, int? maxContext, GenerationDefaults defaults,
        HeadPrecision head, ExpertShard? shard, V41Config? v41 = null, int[]? engramTokenMap = null, IPipelineLink? pipeline = null, DraftHeadChoice draft = DraftHeadChoice.Auto,
        ActivationPath activations = ActivationPath.Exact)
    {
        Path = path; Config = config; _weights = weights; V41Config = v41; Activations = activations;
        if (v41 is null)
        {
            Network = DeepSeekV4<float>.Load(config, weights, head: head, shard: shard, stage: pipeline is null ? null : PipelineSplit.For(config, pipeline), activations: activations);
            // DSpark asked of a checkpoint without one: the model keeps its own head (the front end names the mismatch)
            bool spark = config.DSpark is not null && (draft == DraftHeadChoice.DSpark || (draft == DraftHeadChoice.Auto && config.MtpBlocks == 0));
            if (spark && pipeline is not null)
                throw new ArgumentException("the DSpark draft head does not run under --parallel pipeline (use MTP, expert parallel, or one process)");
            Model = new V4LanguageModel(Network, maxContext, spark ? SharpSeek.Model.Layers.V41.DSparkV4.Load<float>(config, weights, Network.Embedding, Network.Head) : null);
        }
        else if (shard is not null || pipeline is not null) throw new ArgumentException($"expert and pipeline parallel are available for V4 checkpoints only; '{path}' is V4.1");
        else if (activations != ActivationPath.Exact) throw new ArgumentException($"{activations.Name()} activations are available for V4 checkpoints only; '{path}' is V4.1");
        else if (head != HeadPrecision.Bf16) throw new ArgumentException($"the {head} vocabulary head is available for V4 checkpoints only; '{path}' is V4.1");
        else Model = new V41LanguageModel(DeepSeekV41<float>.Load(v41, weights, engramTokenMap), maxContext);
        // A GGUF file: tokenizer.json beside it if there is one (else the caller builds one from the GGUF vocabulary).
        string tok = System.IO.Path.Combine(DirectoryOf(path), "tokenizer.json");
        TokenizerPath = File.Exists(tok) ? tok : null;
        RandomWeights = !Deepseek4Gguf.IsGgufPath(path) && File.Exists(System.IO.Path.Combine(path, "RANDOM_WEIGHTS"));
        Defaults = defaults;
    }

    /// <summary>How linear inputs are multiplied (the choice, or what auto resolved to).</summary>
    public ActivationPath Activations { get; }

    /// <summary>The weights behind the model (for a GGUF file, its tensor source with the metadata and vocabulary).</summary>
    public ITensorSource Weights => _weights;

    /// <param name="engramTokenMap">
    /// For V4.1 checkpoints with Engram layers: builds the compressed token map (the front end owns the
    /// tokenizer; Runtime does not read tokenizer.json).
    /// </param>
    /// <param name="head">How the vocabulary head runs (see HeadPrecision).</param>
    /// <param name="shard">Expert parallel: only this rank's routed experts are mapped.</param>
    /// <param name="pipeline">Pipeline parallel: only this rank's layer range (PipelineSplit) is mapped.</param>
    /// <param name="draft">V4 checkpoints with both an MTP block and a DSpark head: which one this instance drafts with (a head the checkpoint lacks is not loaded).</param>
    /// <param name="activations">
    /// How linear inputs are multiplied (ActivationPath; V4 only). Null: int8 for a V4 GGUF file (the
    /// numerics llama.cpp runs such a file with), exact otherwise (the official semantics).
    /// </param>
    /// <param name="weightsMemory">Where the weight files' bytes live: mapped, or read into huge-page memory (FileResidency).</param>
    public static ModelDirectory Open(string path, int? maxContext = null, Func<V41Config, int[]?>? engramTokenMap = null,
        HeadPrecision head = HeadPrecision.Bf16, ExpertShard? shard = null, IPipelineLink? pipeline = null, DraftHeadChoice draft = DraftHeadChoice.Auto,
        ActivationPath? activations = ActivationPath.Exact, WeightsMemory weightsMemory = WeightsMemory.Auto)
    {
        (ModelConfig config, V41Config? v41, ITensorSource weights) = OpenAll(path, weightsMemory);
        ActivationPath resolved = activations ?? (v41 is null && Deepseek4Gguf.IsGgufPath(path) ? ActivationPath.Int8 : ActivationPath.Exact);
        try
        {
            // A V4.1 GGUF stores its token map; a directory's is built from its tokenizer.json by the front end.
            int[]? map = v41 is { Engram.Enabled: true }
                ? (weights is GgufTensorSource g ? Deepseek4Gguf.EngramTokenMap(g, v41) : null) ?? engramTokenMap?.Invoke(v41) ?? throw new InvalidOperationException($"'{path}' is a V4.1 checkpoint with Engram layers: its compressed token map (from tokenizer.json) is needed")
                : null;
            return new ModelDirectory(path, config, weights, maxContext, GenerationDefaults.Load(DirectoryOf(path)), head, shard, v41, map, pipeline, draft, resolved);
        }
        catch { weights.Dispose(); throw; }
    }

    /// <summary>
    /// A model path as config and weights: a directory (config.json + safetensors) or a deepseek4 GGUF
    /// file or split set (config from its metadata). For a V4.1 directory the config is what it shares with V4.
    /// </summary>
    public static (ModelConfig Config, ITensorSource Weights) OpenWeights(string path, WeightsMemory weightsMemory = WeightsMemory.Auto)
    {
        (ModelConfig config, V41Config? v41, ITensorSource weights) = OpenAll(path, weightsMemory);
        if (v41 is not null && Deepseek4Gguf.IsGgufPath(path))
        {
            weights.Dispose();
            throw new NotSupportedException($"'{path}' is a DeepSeek V4.1 (deepseek41) GGUF: this command runs V4 GGUF files");
        }
        return (config, weights);
    }

    /// <summary>A model path as its config (V4.1: V41 set, Config what it shares with V4) and weights.</summary>
    public static (ModelConfig Config, V41Config? V41, ITensorSource Weights) OpenAll(string path, WeightsMemory weightsMemory = WeightsMemory.Auto)
    {
        if (Deepseek4Gguf.IsGgufPath(path))
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"GGUF file '{path}' does not exist", path);
            (ModelConfig c, V41Config? g41, ITensorSource w) = Deepseek4Gguf.OpenAny(path, weightsMemory);
            return (c, g41, w);
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"model directory '{path}' does not exist");
        string cfg = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(cfg)) throw new FileNotFoundException($"model directory '{path}' has no config.json", cfg);
        V41Config? v41 = V41ConfigParser.IsV41(ModelConfigParser.ReadFile(cfg)) ? V41Config.Load(cfg) : null;
        ModelConfig config = v41?.Base ?? ModelConfig.Load(cfg);
        return (config, v41, Checkpoint.Open(path, weightsMemory));
    }

    /// <summary>The folder holding the model's side files: the directory itself, or the one a GGUF file is in.</summary>
    private static string DirectoryOf(string path) =>
        Deepseek4Gguf.IsGgufPath(path) ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))! : path;

    public void Dispose() => _weights.Dispose();
}
