// The weights of one DSpark draft stage (mtp.<i>; issue 22): a window-only V4.1 block with the draft
// MoE's own expert count, plus main_proj/main_norm on stage 0 and norm, the Markov head and
// confidence_head on the last stage. Two name layouts of the Markov head are read: V4.1
// (markov_head.embed / markov_head.head) and V4-Flash-0731 (markov_head.markov_w1 / markov_w2);
// both are [vocab, rank] (w1 = the embedding of the previous token, w2 = the rank -> vocab head).
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers.V41;

public sealed class DSparkStageWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Markov head names: (embedding, head) under markov_head.</summary>
    public static readonly (string Embed, string Head) V41Names = ("embed", "head"), Names0731 = ("markov_w1", "markov_w2");

    public V41Block<T> Block { get; }
    /// <summary>Stage 0: main_proj [dim, n_targets * dim] and main_norm; else null.</summary>
    public Linear? MainProj { get; }
    public RmsNorm<T>? MainNorm { get; }
    /// <summary>Last stage: norm, Markov embedding/head [vocab, rank], confidence proj [1, dim + rank]; else null.</summary>
    public RmsNorm<T>? Norm { get; }
    public Linear? MarkovEmbed { get; }
    public Linear? MarkovHead { get; }
    public Linear? Confidence { get; }

    public DSparkStageWeights(WeightScope scope, V41Config c, int stage)
    {
        var b = c.Base;
        Block = new V41Block<T>(scope, c, b.NumLayers + stage);
        if (stage == 0)
        {
            MainProj = scope.Linear("main_proj", b.Dim, b.Dim * c.DSpark.TargetLayerIds.Count, LinearKind.Dense);
            MainNorm = new RmsNorm<T>(scope, "main_norm", b.Dim, b.NormEps);
        }
        if (stage == b.NumMtpLayers - 1)
        {
            Norm = new RmsNorm<T>(scope, "norm", b.Dim, b.NormEps);
            WeightScope markov = scope.Scope("markov_head");
            var names = markov.Holds(Names0731.Embed + WeightScope.WeightSuffix) || (markov.IsRecording && c.DSparkOnV4) ? Names0731 : V41Names;
            MarkovEmbed = markov.Linear(names.Embed, b.VocabSize, c.DSpark.MarkovRank, LinearKind.Bf16);
            MarkovHead = markov.Linear(names.Head, b.VocabSize, c.DSpark.MarkovRank, LinearKind.Bf16);
            Confidence = scope.Scope("confidence_head").Linear("proj", 1, b.Dim + c.DSpark.MarkovRank, LinearKind.Bf16);
        }
    }
}
