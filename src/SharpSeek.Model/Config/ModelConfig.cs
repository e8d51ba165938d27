// Typed, validated hyper-parameters of a DeepSeek V4 checkpoint, parsed once from the official
// Hugging Face config.json (V4 key names). Everything downstream reads this record, never JSON.
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Config;

public enum ScoringFunction { SqrtSoftplus, Sigmoid, Softmax }

public enum ExpertFormat { Fp8, Fp4, Bf16 }

/// <summary>What a block's attention reads besides its sliding window.</summary>
public enum AttentionKind
{
    /// <summary>Ratio 0: the sliding window only.</summary>
    Window,
    /// <summary>Ratio > 0 (not the indexed ratio): the window and every compressed entry.</summary>
    Compressed,
    /// <summary>The indexed ratio: the window and the lightning indexer's top-k compressed entries
    /// (its compressor overlaps two blocks).</summary>
    Indexed,
}

public sealed record RopeScaling(string Type, double Factor, int OriginalMaxPositions, double BetaFast, double BetaSlow);

public sealed record ModelConfig
{
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Model width d ("hidden_size", the reference's dim).</summary>
    public required int Dim { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int RopeHeadDim { get; init; }
    public required int QLoraRank { get; init; }
    public required int OLoraRank { get; init; }
    public required int OGroups { get; init; }
    public required int WindowSize { get; init; }
    public required int IndexHeads { get; init; }
    public required int IndexHeadDim { get; init; }
    public required int IndexTopK { get; init; }
    public required int NumRoutedExperts { get; init; }
    public required int NumSharedExperts { get; init; }
    public required int NumActivatedExperts { get; init; }
    public required int MoeInterDim { get; init; }
    public required ScoringFunction ScoreFunc { get; init; }
    public required double RouteScale { get; init; }
    public required int NumHashLayers { get; init; }
    public required double SwigluLimit { get; init; }
    public required int HcMult { get; init; }
    public required int HcSinkhornIters { get; init; }
    public required double HcEps { get; init; }
    public required double NormEps { get; init; }
    public required double RopeTheta { get; init; }
    public required double CompressRopeTheta { get; init; }
    public RopeScaling? RopeScaling { get; init; }
    public required int MaxPositions { get; init; }
    public required int NumMtpLayers { get; init; }
    /// <summary>Compression ratio per block: NumLayers main layers, then the MTP blocks (0 = window only).</summary>
    public required IReadOnlyList<int> CompressRatios { get; init; }
    /// <summary>True when dense linears are FP8 e4m3 with ue8m0 128x128 block scales.</summary>
    public required bool Fp8Weights { get; init; }
    public required ExpertFormat ExpertFormat { get; init; }
    public int BosTokenId { get; init; }
    public int EosTokenId { get; init; } = 1;
    /// <summary>The DSpark draft head (V4-Flash-0731 keys; V4DSparkKeys), or null.</summary>
    public V4DSpark? DSpark { get; init; }
    /// <summary>MTP blocks built: none when the DSpark stages take their place (0731 layout).</summary>
    public int MtpBlocks => DSpark is { ReplacesMtp: true } ? 0 : NumMtpLayers;

    /// <summary>Width of the mHC mixing vector: (2 + hc) * hc.</summary>
    public int MixHc => (2 + HcMult) * HcMult;
    public int NopeHeadDim => HeadDim - RopeHeadDim;
    public int CompressRatio(int block) => CompressRatios[block];
    public AttentionKind AttentionKindOf(int block) => KindOfRatio(CompressRatios[block]);

    /// <summary>The one compression ratio whose layers are indexed (and whose compressors overlap).</summary>
    public const int IndexedRatio = 4;

    /// <summary>The rule, written once: ratio 0 is window-only, ratio 4 indexed, any other ratio compressed.</summary>
    public static AttentionKind KindOfRatio(int ratio) => ratio switch
    {
        0 => AttentionKind.Window,
        IndexedRatio => AttentionKind.Indexed,
        _ => AttentionKind.Compressed,
    };
    public bool IsHashLayer(int layer) => layer < NumHashLayers;

    /// <summary>YaRN is applied to compressed layers when the context exceeds the original length.</summary>
    public bool UsesYarn => RopeScaling is { Type: "yarn" } rs && rs.OriginalMaxPositions > 0 && MaxPositions > rs.OriginalMaxPositions;

    /// <summary>
    /// The RoPE of a block with compression ratio <paramref name="ratio"/>: compressed layers rotate with
    /// compress_rope_theta and YaRN (when it applies), window-only layers with rope_theta and no scaling.
    /// </summary>
    public RopeParameters RopeFor(int ratio)
    {
        var rs = RopeScaling;
        return ratio > 0
            ? new RopeParameters(RopeHeadDim, CompressRopeTheta, UsesYarn, rs?.Factor ?? 1, rs?.OriginalMaxPositions ?? 0, rs?.BetaFast ?? 32, rs?.BetaSlow ?? 1)
            : new RopeParameters(RopeHeadDim, RopeTheta, false, 1, 0, 0, 0);
    }

    public static ModelConfig Load(string path) => ModelConfigParser.Parse(ModelConfigParser.ReadFile(path), path);
}
