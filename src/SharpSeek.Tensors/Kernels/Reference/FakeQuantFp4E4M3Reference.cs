// FP4 e2m1 with E4M3 (not power-of-two) block scales: V4.1's compressed KV
// (fp4_act_quant(latent, 16, scale_dtype=e4m3)). Per block: amax = max(max|x|, 6 * 2^-9),
// s = e4m3_rne(amax / 6), code = e2m1_rne(clamp(x / s, -6, 6)), value = code * s, in the data's
// precision T. Encode/Decode are the storage form (packed nibbles, low = even index, one e4m3 scale
// byte per block); Apply (the fake quant) is Decode(Encode(x)), so stored rows are lossless.
using System.Numerics;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class FakeQuantFp4E4M3Reference
{
    public static void Apply<T>(Span<T> x, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<byte> packed = x.Length <= 8192 ? stackalloc byte[x.Length / 2] : new byte[x.Length / 2];
        Span<byte> scales = x.Length <= 8192 ? stackalloc byte[x.Length / block] : new byte[x.Length / block];
        Encode<T>(x, block, packed, scales);
        Decode(packed, scales, block, x);
    }

    /// <summary>x [n] -> packed e2m1 codes [n/2] and e4m3 scale codes [n/block].</summary>
    public static void Encode<T>(ReadOnlySpan<T> x, int block, Span<byte> packed, Span<byte> scales) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (block <= 0 || block % 2 != 0 || x.Length % block != 0) throw new ArgumentException($"length {x.Length} is not a multiple of the even block {block}");
        T floor = T.CreateTruncating(6.0 * Math.ScaleB(1.0, -9)), six = T.CreateTruncating(6.0);
        for (int b = 0; b < x.Length / block; b++)
        {
            ReadOnlySpan<T> blk = x.Slice(b * block, block);
            T amax = floor;
            foreach (T v in blk) amax = T.Max(amax, T.Abs(v));
            byte sc = Fp8E4M3.Encode(double.CreateTruncating(amax / six));
            scales[b] = sc;
            T s = T.CreateTruncating(Fp8E4M3.Decode(sc));
            for (int i = 0; i < block; i += 2)
            {
                byte lo = Fp4E2M1.Encode(double.CreateTruncating(T.Clamp(blk[i] / s, -six, six)));
                byte hi = Fp4E2M1.Encode(double.CreateTruncating(T.Clamp(blk[i + 1] / s, -six, six)));
                packed[(b * block + i) >> 1] = (byte)(lo | hi << 4);
            }
        }
    }

    /// <summary>packed e2m1 codes and e4m3 scales -> dst [n] = code * scale in T.</summary>
    public static void Decode<T>(ReadOnlySpan<byte> packed, ReadOnlySpan<byte> scales, int block, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dst.Length; i += 2)
        {
            T s = T.CreateTruncating(Fp8E4M3.Decode(scales[i / block]));
            byte p = packed[i >> 1];
            dst[i] = T.CreateTruncating(Fp4E2M1.Decode(p & 0xF)) * s;
            dst[i + 1] = T.CreateTruncating(Fp4E2M1.Decode(p >> 4)) * s;
        }
    }
}
