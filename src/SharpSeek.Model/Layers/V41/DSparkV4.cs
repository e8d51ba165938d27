// The DSpark head on a V4 (April / 0731-style) model: the one DSparkHead over DSparkStageWeights,
// given a V4.1 view of the V4 geometry (no Engram, no vision, no candidates; the stages window-only
// blocks NumLayers.. with the draft's own expert count). Two things follow the V4 model, not V4.1:
// dense FP8 weights in 128x128 blocks (the V4 storage) and the stage KV rows quantised as V4 quantises
// KV (nope part FP8 in blocks of 64, RoPE part exact; V41Config.DSparkOnV4). The stages are read from
// `mtp.<i>` (0731 layout) or `dspark.<i>` (beside an MTP block); see V4DSparkKeys.
using System.Numerics;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers.V41;

public static class DSparkV4
{
    /// <summary>The V4.1 view the DSpark layers read: the V4 geometry with the stages as window-only blocks after the main layers.</summary>
    public static V41Config View(ModelConfig c)
    {
        V4DSpark d = c.DSpark ?? throw new InvalidOperationException("this V4 config has no DSpark head (dspark_block_size 0)");
        var ratios = c.CompressRatios.Take(c.NumLayers).Concat(Enumerable.Repeat(0, d.Stages)).ToArray();
        var b = c with { NumMtpLayers = d.Stages, CompressRatios = ratios };
        return new V41Config
        {
            Base = b,
            KvSourceLayers = [],
            IndexSourceLayers = [],
            Candidates = new CandidateConfig(-1, 0, 0),
            Engram = new EngramConfig([], [], 0, 0, 0, 0, 0, 0),
            DSpark = d.Head,
            Vision = new VisionConfig(0, 1, 1, 1, 1, 1, 1, 1, 1, null),
            GateTemp = 1,
            NormTopkProb = true,
            OriginalSeqLen = 0,
            ImageTokenId = 0,
            DSparkOnV4 = true,
        };
    }

    /// <summary>The geometry the draft stages' weights are built with: the draft's own routed / activated expert counts.</summary>
    public static ModelConfig DraftBase(V41Config view)
    {
        var b = view.Base;
        return b with
        {
            NumRoutedExperts = view.DSpark.NumRoutedExperts > 0 ? view.DSpark.NumRoutedExperts : b.NumRoutedExperts,
            NumActivatedExperts = view.DSpark.NumActivatedExperts > 0 ? view.DSpark.NumActivatedExperts : b.NumActivatedExperts,
        };
    }

    /// <summary>The stages' weights (null source: recorded only), stage i under prefix.i.</summary>
    public static (DSparkStageWeights<T>[] Stages, IReadOnlyList<WeightSpec> Specs) Stages<T>(ModelConfig c, ITensorSource? source) where T : unmanaged, IFloatingPointIeee754<T>
    {
        V41Config view = View(c);
        ModelConfig draft = DraftBase(view);
        WeightScope scope = source is null ? WeightScope.Record(draft) : WeightScope.Load(draft, source);
        WeightScope stages = scope.Scope(c.DSpark!.Prefix);
        var built = Enumerable.Range(0, c.DSpark.Stages).Select(i => new DSparkStageWeights<T>(stages.Scope(i), view, i)).ToArray();
        return (built, scope.Specs);
    }

    /// <summary>The expected DSpark tensors of a V4 config (names, dtypes, shapes), apart from the main model's weight map.</summary>
    public static IReadOnlyList<WeightSpec> WeightMap(ModelConfig c) => Stages<float>(c, null).Specs;

    /// <summary>The draft head over <paramref name="source"/>, sharing the model's embedding and vocabulary head.</summary>
    public static DSparkHead<T> Load<T>(ModelConfig c, ITensorSource source, Linear embed, Linear head) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(Stages<T>(c, source).Stages, embed, head, View(c));
}
