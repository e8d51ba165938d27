// Exact (erf) GELU, torch F.gelu's default: dst_i = x_i/2 (1 + erf(x_i / sqrt 2)). Evaluated in double
// for every precision (Reference/ErfReference), so this kernel is its own scalar twin.
using System.Numerics;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class Gelu
{
    /// <summary>dst_i = gelu(x_i); dst may be x.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst.Length < x.Length) throw new ArgumentException("destination too short", nameof(dst));
        for (int i = 0; i < x.Length; i++) dst[i] = T.CreateTruncating(ErfReference.Gelu(double.CreateTruncating(x[i])));
    }
}
