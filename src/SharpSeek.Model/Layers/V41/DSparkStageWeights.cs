// The weights of one DSpark draft stage (mtp.<i>; issue 22): a window-only V4.1 block with the draft
// MoE's own expert count, plus main_proj/main_norm on stage 0 and norm, markov_head and
// confidence_head on the last stage. Bound here so that the weight map and checkpoint validation
// cover them; the draft forward is not built in this round.
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers.V41;

public sealed class DSparkStageWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public V41Block<T> Block { get; }

    public DSparkStageWeights(WeightScope scope, V41Config c, int stage)
    {
        var b = c.Base;
        Block = new V41Block<T>(scope, c, b.NumLayers + stage);
        if (stage == 0)
        {
            scope.Linear("main_proj", b.Dim, b.Dim * c.DSpark.TargetLayerIds.Count, LinearKind.Dense);
            _ = new RmsNorm<T>(scope, "main_norm", b.Dim, b.NormEps);
        }
        if (stage == b.NumMtpLayers - 1)
        {
            _ = new RmsNorm<T>(scope, "norm", b.Dim, b.NormEps);
            scope.Scope("markov_head").Linear("embed", b.VocabSize, c.DSpark.MarkovRank, LinearKind.Bf16);
            scope.Scope("markov_head").Linear("head", b.VocabSize, c.DSpark.MarkovRank, LinearKind.Bf16);
            scope.Scope("confidence_head").Linear("proj", 1, b.Dim + c.DSpark.MarkovRank, LinearKind.Bf16);
        }
    }
}
