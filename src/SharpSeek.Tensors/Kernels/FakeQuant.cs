// Block fake quantisation exactly as the reference applies it to KV and indexer values (and, in the
// emulation mode, to linear inputs): per block, amax = max(max|x|, floor), scale = 2^ceil(log2(amax/qmax))
// (a ue8m0 power of two, computed in the precision T of the data), x <- round_grid(clamp(x/scale)) * scale.
// float32 takes the vectorised FakeQuantF32 (bit-identical); other precisions, and float blocks with
// NaN/inf, run the scalar twin Reference/FakeQuantReference.
using System.Numerics;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class FakeQuant
{
    /// <summary>FP8 e4m3 fake quant in blocks of <paramref name="block"/> (64 for KV, 128 for activations).</summary>
    public static void Fp8<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float)) { FakeQuantReference.Fp8(x, block); return; }
        Run(MemoryMarshal.Cast<T, float>(x), block, FakeQuantF32.E4M3, fp8: true);
    }

    /// <summary>FP4 e2m1 fake quant in blocks of <paramref name="block"/> (32 in the indexer).</summary>
    public static void Fp4<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float)) { FakeQuantReference.Fp4(x, block); return; }
        Run(MemoryMarshal.Cast<T, float>(x), block, FakeQuantF32.E2M1, fp8: false);
    }

    /// <summary>
    /// FP8 e4m3 codes and exponent k of one block as BlockScale.Fp8Exponent / Fp8Code give them (the production
    /// KV storage), vectorised; false, writing nothing, where the caller must take that scalar path.
    /// </summary>
    public static bool TryFp8Codes(ReadOnlySpan<float> block, Span<byte> codes, out int k) => FakeQuantF32.TryE4M3Codes(block, codes, out k);

    private static void Run(Span<float> x, int block, in FakeQuantF32.Grid grid, bool fp8)
    {
        if (x.Length % block != 0) throw new ArgumentException($"length {x.Length} is not a multiple of block {block}");
        for (int b = 0; b < x.Length; b += block)
        {
            Span<float> blk = x.Slice(b, block);
            if (FakeQuantF32.TryBlock(blk, grid)) continue;
            if (fp8) FakeQuantReference.Fp8(blk, block);
            else FakeQuantReference.Fp4(blk, block);
        }
    }
}
