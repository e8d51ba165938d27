// RMSNorm with a learned weight (BF16 in the checkpoint, held as T): y = x * rsqrt(mean(x^2) + eps) * w.
using System.Numerics;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class RmsNorm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _weight;
    private readonly T _eps;

    public int Dim { get; }

    /// <summary>The learned weight [Dim] (kernels that fuse the norm into the step before it).</summary>
    public ReadOnlySpan<T> Weight => _weight;

    public T Eps => _eps;

    public RmsNorm(WeightScope scope, string name, int dim, double eps)
    {
        Dim = dim;
        _weight = scope.Vector<T>(name + ".weight", DType.BF16, dim);
        _eps = T.CreateTruncating(eps);
    }

    /// <summary>Normalises every row of x [rows, Dim] into dst (may alias x).</summary>
    public void Forward(ReadOnlySpan<T> x, Span<T> dst)
    {
        for (int r = 0; r < x.Length / Dim; r++)
            Elementwise.RmsNorm(x.Slice(r * Dim, Dim), _weight, _eps, dst.Slice(r * Dim, Dim));
    }

    public void ForwardInPlace(Span<T> x) => Forward(x, x);
}
