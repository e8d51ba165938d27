// FP4 e2m1 fake quantisation with E4M3 (not power-of-two) block scales: V4.1's compressed KV
// (fp4_act_quant(latent, 16, scale_dtype=e4m3)). Per block: amax = max(max|x|, 6 * 2^-9),
// s = e4m3_rne(amax / 6), x <- e2m1_rne(clamp(x / s, -6, 6)) * s, all in the data's precision T.
// Scalar code for every precision; a vectorised twin can be added beside it.
using System.Numerics;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class FakeQuantFp4E4M3Reference
{
    public static void Apply<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (block <= 0 || x.Length % block != 0) throw new ArgumentException($"length {x.Length} is not a multiple of block {block}");
        T floor = T.CreateTruncating(6.0 * Math.ScaleB(1.0, -9)), six = T.CreateTruncating(6.0);
        for (int b = 0; b < x.Length; b += block)
        {
            Span<T> blk = x.Slice(b, block);
            T amax = floor;
            foreach (T v in blk) amax = T.Max(amax, T.Abs(v));
            T s = T.CreateTruncating(Fp8E4M3.Round(double.CreateTruncating(amax / six)));
            for (int i = 0; i < blk.Length; i++)
            {
                T q = T.Clamp(blk[i] / s, -six, six);
                blk[i] = T.CreateTruncating(Fp4E2M1.Round(double.CreateTruncating(q))) * s;
            }
        }
    }
}
