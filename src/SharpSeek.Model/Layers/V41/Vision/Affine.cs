// A vision nn.Linear with its bias: y = x W^T + b (BF16 weight and bias in the checkpoint). The product
// runs MatMulTiled: the image path multiplies thousands of patch rows at once.
using System.Numerics;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41.Vision;

public sealed class Affine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _weight;   // [out, in]
    private readonly T[] _bias;        // [out]

    public int OutFeatures => _weight.OutFeatures;
    public int InFeatures => _weight.InFeatures;

    public Affine(WeightScope scope, string name, int outFeatures, int inFeatures)
    {
        _weight = scope.Linear(name, outFeatures, inFeatures, LinearKind.Bf16);
        _bias = scope.Vector<T>(name + ".bias", DType.BF16, outFeatures);
    }

    /// <summary>y[rows, out] = x[rows, in] W^T + b.</summary>
    public void Forward(ReadOnlySpan<T> x, Span<T> y, int rows)
    {
        MatMulTiled.Forward(x, _weight.Weight, y, rows);
        for (int r = 0; r < rows; r++)
        {
            Span<T> row = y.Slice(r * OutFeatures, OutFeatures);
            for (int i = 0; i < row.Length; i++) row[i] += _bias[i];
        }
    }
}
