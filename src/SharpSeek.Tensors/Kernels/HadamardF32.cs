// Vectorised in-place Walsh–Hadamard transform (Sylvester order) for float32, bit-identical to
// ElementwiseReference.Hadamard: every element sees the same a + b / a - b sequence. Butterflies
// with h >= 16 pair whole Vector512s; h = 1, 2, 4, 8 run inside one vector with a lane permute.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class HadamardF32
{
    /// <summary>x = H_n x * scale for n a power of two (n &lt; 16 or no Vector512: the scalar twin).</summary>
    public static void Transform(Span<float> x, float scale)
    {
        int n = x.Length;
        if (n < 16 || (n & (n - 1)) != 0 || !Vector512.IsHardwareAccelerated)
        {
            ElementwiseReference.Hadamard(x, scale);
            return;
        }
        fixed (float* p = x)
        {
            var x1 = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            var x2 = Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
            var x4 = Vector512.Create(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
            var x8 = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
            // Lanes holding the upper element of a pair (bit h of the lane index set) take a - b.
            var m1 = Vector512.Create(0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1).AsSingle();
            var m2 = Vector512.Create(0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1).AsSingle();
            var m4 = Vector512.Create(0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, -1, -1, -1, -1).AsSingle();
            var m8 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1).AsSingle();
            for (int i = 0; i < n; i += 16)
            {
                var v = Vector512.Load(p + i);
                v = Step(v, x1, m1);
                v = Step(v, x2, m2);
                v = Step(v, x4, m4);
                v = Step(v, x8, m8);
                v.Store(p + i);
            }
            for (int h = 16; h < n; h <<= 1)
                for (int i = 0; i < n; i += 2 * h)
                    for (int j = i; j < i + h; j += 16)
                    {
                        var a = Vector512.Load(p + j);
                        var b = Vector512.Load(p + j + h);
                        (a + b).Store(p + j);
                        (a - b).Store(p + j + h);
                    }
        }
        TensorPrimitives.Multiply(x, scale, x);
    }

    /// <summary>Lower lane: v + partner (a + b); upper lane: partner - v (a - b).</summary>
    private static Vector512<float> Step(Vector512<float> v, Vector512<int> partnerIdx, Vector512<float> upper)
    {
        var q = Vector512.Shuffle(v, partnerIdx);
        return Vector512.ConditionalSelect(upper, q - v, v + q);
    }
}
