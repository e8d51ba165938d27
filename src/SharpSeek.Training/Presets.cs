// Named geometries and run lengths. "nano" is the shipped default model; "micro" is for tests.
// A preset is a config.json (V4 key names, parsed by the model's own parser) plus run options.
namespace SharpSeek.Training;

public sealed record TrainOptions
{
    public int Steps { get; init; } = 1000;
    public int Batch { get; init; } = 16;
    public int SeqLen { get; init; } = 256;
    public float Lr { get; init; } = 3e-3f;
    public int WarmupSteps { get; init; } = 100;
    public float WeightDecay { get; init; } = 0.1f;
    public float ClipNorm { get; init; } = 1f;
    public float MtpWeight { get; init; } = 0.3f;
    public float IndexerWeight { get; init; } = 0.1f;
    /// <summary>Auxiliary-loss-free balancing: bias_e += rate * sign(mean load - load_e) after each step.</summary>
    public float BiasUpdateRate { get; init; } = 1e-3f;
    public int TokenizerVocab { get; init; } = 4096;
    public int TokenizerSamples { get; init; } = 20000;
    public int PassKeyChars { get; init; } = 600;
    /// <summary>Share of training pass keys drawn from two or three distinct digits (see CorpusGenerator.HardKeyShare).</summary>
    public double HardKeyShare { get; init; }
    /// <summary>Subtraction reasoning opens with a place-by-place comparison (see CorpusGenerator.CompareFirst).</summary>
    public bool CompareFirst { get; init; }
    /// <summary>Percent of training samples per task family.</summary>
    public Data.CorpusMix Mix { get; init; } = Data.CorpusMix.V5;
    /// <summary>
    /// A low-learning-rate tail after <see cref="Steps"/>: this many more steps, drawn from <see cref="ExtendMix"/>, with
    /// the learning rate of a Steps + ExtendSteps cosine from step Steps on (so it restarts a little above the floor
    /// and decays to it). The first Steps steps are unchanged by it, so a finished run can be extended with --resume.
    /// </summary>
    public int ExtendSteps { get; init; }
    public Data.CorpusMix ExtendMix { get; init; } = Data.CorpusMix.V5;
    /// <summary>All steps of the run: the main schedule and the tail.</summary>
    public int TotalSteps => Steps + ExtendSteps;
    public int SaveEvery { get; init; } = 100;
    /// <summary>Every LongEvery-th step is one row of LongSeqLen tokens led by a long pass-key sample (0 = never).</summary>
    public int LongEvery { get; init; }
    public int LongSeqLen { get; init; } = 2304;
    public ulong Seed { get; init; } = 1234;
}

public static class Presets
{
    public static (string ConfigJson, TrainOptions Options) Get(string name) => name switch
    {
        "nano" => (Config(vocab: 4096, dim: 128, layers: 2, ratios: "16, 4, 0", heads: 4, headDim: 80, rope: 16, qLora: 96, oLora: 64,
                          window: 64, ih: 2, id: 32, topk: 32, experts: 8, topK: 2, inter: 96, maxPos: 4096),
                   new TrainOptions { Steps = 2800, Batch = 8, SeqLen = 256, Lr = 3e-3f, WarmupSteps = 40, SaveEvery = 50, LongEvery = 3, LongSeqLen = 2304, PassKeyChars = 900, HardKeyShare = 0.25, CompareFirst = true,
                                       Mix = new(Arithmetic: 38, ToolCall: 16, KvCall: 6, ToolAnswer: 8, PassKey: 25, Story: 1, Copy: 0, KvAnswer: 0, ObjAnswer: 6),
                                       ExtendSteps = 300, ExtendMix = new(Arithmetic: 30, ToolCall: 12, KvCall: 4, ToolAnswer: 6, PassKey: 40, Story: 0, Copy: 0, KvAnswer: 4, ObjAnswer: 4) }),
        "micro" => (Config(vocab: 512, dim: 64, layers: 2, ratios: "4, 16, 0", heads: 2, headDim: 80, rope: 16, qLora: 32, oLora: 32,
                           window: 16, ih: 2, id: 32, topk: 4, experts: 4, topK: 2, inter: 64, maxPos: 1024),
                    new TrainOptions { Steps = 12, Batch = 2, SeqLen = 96, Lr = 3e-3f, WarmupSteps = 2, TokenizerVocab = 512, TokenizerSamples = 600, PassKeyChars = 150, SaveEvery = 5 }),
        _ => throw new ArgumentException($"unknown preset '{name}' (nano, micro)"),
    };

    private static string Config(int vocab, int dim, int layers, string ratios, int heads, int headDim, int rope, int qLora, int oLora,
        int window, int ih, int id, int topk, int experts, int topK, int inter, int maxPos) => $$"""
    {
      "architectures": ["DeepseekV4ForCausalLM"],
      "model_type": "deepseek_v4",
      "bos_token_id": 0,
      "eos_token_id": 1,
      "vocab_size": {{vocab}},
      "hidden_size": {{dim}},
      "num_hidden_layers": {{layers}},
      "num_attention_heads": {{heads}},
      "num_key_value_heads": 1,
      "head_dim": {{headDim}},
      "qk_rope_head_dim": {{rope}},
      "q_lora_rank": {{qLora}},
      "o_lora_rank": {{oLora}},
      "o_groups": 2,
      "sliding_window": {{window}},
      "index_n_heads": {{ih}},
      "index_head_dim": {{id}},
      "index_topk": {{topk}},
      "n_routed_experts": {{experts}},
      "n_shared_experts": 1,
      "num_experts_per_tok": {{topK}},
      "moe_intermediate_size": {{inter}},
      "scoring_func": "sqrtsoftplus",
      "topk_method": "noaux_tc",
      "norm_topk_prob": true,
      "routed_scaling_factor": 1.5,
      "num_hash_layers": 1,
      "swiglu_limit": 10.0,
      "hc_mult": 4,
      "hc_sinkhorn_iters": 20,
      "hc_eps": 1e-06,
      "rms_norm_eps": 1e-06,
      "rope_theta": 10000,
      "compress_rope_theta": 160000,
      "max_position_embeddings": {{maxPos}},
      "num_nextn_predict_layers": 1,
      "compress_ratios": [{{ratios}}],
      "hidden_act": "silu",
      "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "scale_fmt": "ue8m0", "weight_block_size": [128, 128]},
      "expert_dtype": "fp4",
      "torch_dtype": "bfloat16"
    }
    """;
}
