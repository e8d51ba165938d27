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
        for (int b = 0; b < x.Length; b += block)
        {
            Span<T> blk = x.Slice(b, block);
            int k = BlockScale.Fp8Exponent<T>(blk);
            for (int i = 0; i < blk.Length; i++) blk[i] = T.CreateTruncating(Math.ScaleB((double)Fp8E4M3.Decode(BlockScale.Fp8Code(blk[i], k)), k));
        }
    }

    /// <summary>FP4 e2m1 fake quant in blocks of <paramref name="block"/> (32 in the indexer).</summary>
    public static void Fp4<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length % block != 0) throw new ArgumentException($"length {x.Length} is not a multiple of block {block}");
        for (int b = 0; b < x.Length; b += block)
        {
            Span<T> blk = x.Slice(b, block);
            int k = BlockScale.Fp4Exponent<T>(blk);
            for (int i = 0; i < blk.Length; i++) blk[i] = T.CreateTruncating(Math.ScaleB((double)Fp4E2M1.Decode(BlockScale.Fp4Code(blk[i], k)), k));
        }
    }
}
