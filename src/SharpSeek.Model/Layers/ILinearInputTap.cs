// An opt-in observer of what enters every linear map (importance matrices: `sharpseek imatrix`). A model
// built with one (WeightScope.Load / DeepSeekV4.Load inputTap) hands it each product's input rows before the
// product, named by the weight; routed experts see only the tokens routed to them. Off (null, the default)
// it costs one null check per linear.
using System.Numerics;

namespace SharpSeek.Model.Layers;

public interface ILinearInputTap
{
    /// <summary>The input x [tokens, inFeatures] of the linear whose weight is <paramref name="weightName"/> (official name).</summary>
    void Record<T>(string weightName, ReadOnlySpan<T> x, int tokens, int inFeatures) where T : unmanaged, IFloatingPointIeee754<T>;
}
