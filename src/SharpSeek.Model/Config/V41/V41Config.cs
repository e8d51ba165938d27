// Typed, validated hyper-parameters of a DeepSeek V4.1 checkpoint (the official ModelArgs of
// inference/model.py, revision dba1be0a), parsed once by V41ConfigParser from either config form.
// Base carries what V4.1 shares with V4 (widths, heads, MoE, mHC) so shared layers read one record.
namespace SharpSeek.Model.Config.V41;

/// <summary>The two-level candidate pool: the candidate-source indexer keeps its best blocks, later indexers score only inside them.</summary>
public sealed record CandidateConfig(int SourceLayer, int TopKBlocks, int BlockSize)
{
    public bool Enabled => SourceLayer >= 0;
}

/// <summary>Engram conditional memory: hashed n-gram lookups gated into the hc streams before some blocks.</summary>
public sealed record EngramConfig(
    IReadOnlyList<int> LayerIds,
    IReadOnlyList<long> NumEmbeddings,
    int MaxNgramSize,
    int VocabSize,
    int NumHeads,
    int HeadDim,
    int PadId,
    int CompressedVocabSize)
{
    public bool Enabled => LayerIds.Count > 0;
    /// <summary>Rows fetched per token and Engram layer: (max_ngram_size - 1) * n_heads.</summary>
    public int HashColumns => (MaxNgramSize - 1) * NumHeads;
    public int IndexOf(int layer) { for (int i = 0; i < LayerIds.Count; i++) if (LayerIds[i] == layer) return i; return -1; }
}

/// <summary>The DSpark draft head (issue 22): parsed and validated here, not run.</summary>
public sealed record DSparkConfig(int BlockSize, int NoiseTokenId, IReadOnlyList<int> TargetLayerIds, int MarkovRank, int NumRoutedExperts, int NumActivatedExperts)
{
    public bool Enabled => BlockSize > 0;
}

/// <summary>The vision tower (Layers/V41/Vision) and the image preprocessing plan (SharpSeek.Images).</summary>
public sealed record VisionConfig(int NumLayers, int Dim, int NumHeads, int InterDim, int PatchSize, double RopeTheta, int DownsampleRatio, int MaxNumTokens, int MinPixels, int? MaxWhRatio)
{
    public bool Enabled => NumLayers > 0;
}

public sealed record V41Config
{
    /// <summary>The FP8 weight block of V4.1: 32x32 e4m3 blocks with one ue8m0 scale (also the activation block).</summary>
    public const int Fp8Block = 32;

    /// <summary>What V4.1 shares with V4 (ModelType "deepseek_v41"; CompressRatios as ModelArgs.compress_ratios).</summary>
    public required ModelConfig Base { get; init; }
    public required IReadOnlyList<int> KvSourceLayers { get; init; }
    public required IReadOnlyList<int> IndexSourceLayers { get; init; }
    public required CandidateConfig Candidates { get; init; }
    public required EngramConfig Engram { get; init; }
    public required DSparkConfig DSpark { get; init; }
    public required VisionConfig Vision { get; init; }
    public required double GateTemp { get; init; }
    public required bool NormTopkProb { get; init; }
    /// <summary>original_seq_len: YaRN on compressed layers when > 0 (the reference's rule, not V4's max_positions test).</summary>
    public required int OriginalSeqLen { get; init; }
    public required int ImageTokenId { get; init; }
    /// <summary>A DSpark head on a V4 model (DSparkV4, V4-Flash-0731 style): KV rows quantised as V4 does (nope part FP8 in blocks of 64, RoPE exact) instead of the whole row in blocks of 32, and the Markov head written under the 0731 names.</summary>
    public bool DSparkOnV4 { get; init; }

    public int NumLayers => Base.NumLayers;
    public int Ratio(int layer) => Base.CompressRatios[layer];
    public bool IsKvSource(int layer) => layer < NumLayers && KvSourceLayers.Contains(layer);
    public bool IsIndexSource(int layer) => layer < NumLayers && IndexSourceLayers.Contains(layer);
    /// <summary>An index source that also compresses owns the index keys (Indexer.owns_k).</summary>
    public bool OwnsIndexKeys(int layer) => IsIndexSource(layer) && KvSourceLayers.Contains(layer);
    public bool IsCandidateSource(int layer) => Candidates.Enabled && layer == Candidates.SourceLayer;
    public bool UsesCandidates(int layer) => Candidates.Enabled && Candidates.SourceLayer < layer && IsIndexSource(layer);

    /// <summary>The RoPE of a layer with ratio r: compressed layers compress_rope_theta with YaRN when original_seq_len > 0, window layers rope_theta.</summary>
    public SharpSeek.Tensors.Kernels.RopeParameters RopeFor(int ratio)
    {
        var b = Base;
        var rs = b.RopeScaling;
        return ratio > 0
            ? new(b.RopeHeadDim, b.CompressRopeTheta, OriginalSeqLen > 0, rs?.Factor ?? 1, OriginalSeqLen, rs?.BetaFast ?? 32, rs?.BetaSlow ?? 1)
            : new(b.RopeHeadDim, b.RopeTheta, false, 1, 0, 0, 0);
    }

    public static V41Config Load(string path) => V41ConfigParser.Parse(ModelConfigParser.ReadFile(path), path);
}
