// Scalar twin of FakeQuant (the oracle of the float32 fast path and the float64 engine): block fake
// quantisation exactly as the reference applies it to KV and indexer values (and, in the
// emulation mode, to linear inputs): per block, amax = max(max|x|, floor), scale = 2^ceil(log2(amax/qmax))
// (a ue8m0 power of two, computed in the precision T of the data), x <- round_grid(clamp(x/scale)) * scale.
using System.Numerics;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class FakeQuantReference
{
    /// <summary>FP8 e4m3 fake quant in blocks of <paramref name="block"/> (64 for KV, 128 for activations).</summary>
    public static void Fp8<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length % block != 0) throw new ArgumentException($"length {x.Length} is not a multiple of block {block}");
        T floor = T.CreateTruncating(1e-4);
        T qmax = T.CreateTruncating(448.0);
        for (int b = 0; b < x.Length; b += block)
        {
            Span<T> blk = x.Slice(b, block);
            T amax = floor;
            foreach (T v in blk) amax = T.Max(amax, T.Abs(v));
            int k = PowerOfTwo.CeilLog2(double.CreateTruncating(amax / qmax));
            for (int i = 0; i < blk.Length; i++)
            {
                double q = Math.Clamp(Math.ScaleB(double.CreateTruncating(blk[i]), -k), -448.0, 448.0);
                blk[i] = T.CreateTruncating(Math.ScaleB(Fp8E4M3.Round(q), k));
            }
        }
    }

    /// <summary>FP4 e2m1 fake quant in blocks of <paramref name="block"/> (32 in the indexer).</summary>
    public static void Fp4<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length % block != 0) throw new ArgumentException($"length {x.Length} is not a multiple of block {block}");
        T floor = T.CreateTruncating(6.0 * Math.ScaleB(1.0, -126));
        T qmax = T.CreateTruncating(6.0);
        for (int b = 0; b < x.Length; b += block)
        {
            Span<T> blk = x.Slice(b, block);
            T amax = floor;
            foreach (T v in blk) amax = T.Max(amax, T.Abs(v));
            int k = PowerOfTwo.CeilLog2(double.CreateTruncating(amax / qmax));
            for (int i = 0; i < blk.Length; i++)
            {
                double q = Math.Clamp(Math.ScaleB(double.CreateTruncating(blk[i]), -k), -6.0, 6.0);
                blk[i] = T.CreateTruncating(Math.ScaleB(Fp4E2M1.Round(q), k));
            }
        }
    }
}
