// Row and element-wise kernels used by the model. float32 takes vectorised paths
// (System.Numerics.Tensors), other precisions the scalar reference in Kernels/Reference.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class Elementwise
{
    private static bool IsF32<T>() => typeof(T) == typeof(float);

    /// <summary>dst = x * rsqrt(mean(x^2) + eps) * w; an empty w means no weight.</summary>
    public static void RmsNorm<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, T eps, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!w.IsEmpty && w.Length != x.Length) throw new ArgumentException($"RMSNorm weight has {w.Length} values for rows of {x.Length}");
        if (IsF32<T>())
        {
            var xf = MemoryMarshal.Cast<T, float>(x);
            var df = MemoryMarshal.Cast<T, float>(dst);
            float ss = TensorPrimitives.Dot(xf, xf);
            float r = 1f / MathF.Sqrt(ss / xf.Length + float.CreateTruncating(eps));
            if (w.IsEmpty) TensorPrimitives.Multiply(xf, r, df);
            else
            {
                TensorPrimitives.Multiply(xf, r, df);
                TensorPrimitives.Multiply(df, MemoryMarshal.Cast<T, float>(w), df);
            }
            return;
        }
        ElementwiseReference.RmsNorm(x, w, eps, dst);
    }

    /// <summary>RMSNorm applied to each row of a [rows, dim] matrix in place.</summary>
    public static void RmsNormRows<T>(Span<T> x, int dim, ReadOnlySpan<T> w, T eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < x.Length / dim; r++)
        {
            Span<T> row = x.Slice(r * dim, dim);
            RmsNorm(row, w, eps, row);
        }
    }

    public static void Softmax<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsF32<T>() && !x.IsEmpty)
        {
            var xf = MemoryMarshal.Cast<T, float>(x);
            TensorPrimitives.SoftMax(xf, xf);
            return;
        }
        ElementwiseReference.Softmax(x);
    }

    public static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementwiseReference.Sigmoid(x);
    public static T Softplus<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementwiseReference.Softplus(x);
    public static T Silu<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => ElementwiseReference.Silu(x);

    /// <summary>dst_i = 1 / (1 + exp(-x_i)); dst may be x.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst.Length < x.Length) throw new ArgumentException("destination too short", nameof(dst));
        if (x.IsEmpty) return;
        if (IsF32<T>()) { TensorPrimitives.Sigmoid(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(dst)); return; }
        for (int i = 0; i < x.Length; i++) dst[i] = ElementwiseReference.Sigmoid(x[i]);
    }

    /// <summary>dst_i = x_i / (1 + exp(-x_i)); dst may be x.</summary>
    public static void Silu<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst.Length < x.Length) throw new ArgumentException("destination too short", nameof(dst));
        if (IsF32<T>())
        {
            var xf = MemoryMarshal.Cast<T, float>(x);
            var df = MemoryMarshal.Cast<T, float>(dst);
            Span<float> tmp = stackalloc float[256];
            for (int i = 0; i < xf.Length; i += tmp.Length)
            {
                int len = Math.Min(tmp.Length, xf.Length - i);
                Span<float> t = tmp[..len];
                TensorPrimitives.Negate(xf.Slice(i, len), t);
                TensorPrimitives.Exp(t, t);
                TensorPrimitives.Add(t, 1f, t);
                TensorPrimitives.Divide(xf.Slice(i, len), t, df.Slice(i, len));
            }
            return;
        }
        for (int i = 0; i < x.Length; i++) dst[i] = ElementwiseReference.Silu(x[i]);
    }

    /// <summary>dst_i = softplus(x_i) (torch: x if x > 20 else log(1 + exp(x))); scalar, dst may be x.</summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst.Length < x.Length) throw new ArgumentException("destination too short", nameof(dst));
        for (int i = 0; i < x.Length; i++) dst[i] = ElementwiseReference.Softplus(x[i]);
    }

    public static void TopK<T>(ReadOnlySpan<T> x, int k, Span<int> indices) where T : unmanaged, IFloatingPointIeee754<T>
        => TopKSelect.Select(x, k, indices);

    /// <summary>In-place Walsh–Hadamard transform (Sylvester order, power-of-two length), then x *= scale.</summary>
    public static void Hadamard<T>(Span<T> x, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsF32<T>()) HadamardF32.Transform(MemoryMarshal.Cast<T, float>(x), float.CreateTruncating(scale));
        else ElementwiseReference.Hadamard(x, scale);
    }

    public static void Sinkhorn<T>(Span<T> c, int n, int iters, T eps) where T : unmanaged, IFloatingPointIeee754<T>
        => ElementwiseReference.Sinkhorn(c, n, iters, eps);

    /// <summary>dst += a * x.</summary>
    public static void AddScaled<T>(Span<T> dst, ReadOnlySpan<T> x, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsF32<T>())
        {
            var df = MemoryMarshal.Cast<T, float>(dst);
            TensorPrimitives.MultiplyAdd(MemoryMarshal.Cast<T, float>(x), float.CreateTruncating(a), df, df);
            return;
        }
        for (int i = 0; i < dst.Length; i++) dst[i] += a * x[i];
    }

    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsF32<T>()) return T.CreateTruncating(TensorPrimitives.Dot(MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b)));
        T acc = T.Zero;
        for (int i = 0; i < a.Length; i++) acc += a[i] * b[i];
        return acc;
    }
}
