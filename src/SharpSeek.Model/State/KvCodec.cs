// The production storage of KV and index-key rows. A KV row of head_dim values is stored as
// nope FP8 e4m3 codes + nope/64 power-of-two exponents (ue8m0) + the rope values in T; an index
// key as packed FP4 e2m1 codes + dim/32 exponents. Encoding performs exactly the reference's
// block fake quant, so decode(encode(x)) is the fake-quantised row and the storage is lossless.
using System.Numerics;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.State;

public static class KvCodec
{
    public const int Fp8Block = 64;
    public const int Fp4Block = 32;

    /// <summary>Fake-quantises x (FP8, blocks of 64) into codes and per-block exponents.</summary>
    public static void EncodeFp8<T>(ReadOnlySpan<T> x, Span<byte> codes, Span<sbyte> exps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < x.Length / Fp8Block; b++)
        {
            ReadOnlySpan<T> blk = x.Slice(b * Fp8Block, Fp8Block);
            int k = BlockScale.Fp8Exponent(blk);
            exps[b] = checked((sbyte)k);
            for (int i = 0; i < Fp8Block; i++) codes[b * Fp8Block + i] = BlockScale.Fp8Code(blk[i], k);
        }
    }

    public static void DecodeFp8<T>(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> exps, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<float> table = Fp8E4M3.Table;
        for (int b = 0; b < exps.Length; b++)
        {
            float scale = MathF.ScaleB(1f, exps[b]);
            for (int i = b * Fp8Block; i < (b + 1) * Fp8Block; i++) dst[i] = T.CreateTruncating(table[codes[i]] * scale);
        }
    }

    /// <summary>Fake-quantises x (FP4, blocks of 32) into packed codes (low nibble = even index) and exponents.</summary>
    public static void EncodeFp4<T>(ReadOnlySpan<T> x, Span<byte> packed, Span<sbyte> exps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < x.Length / Fp4Block; b++)
        {
            ReadOnlySpan<T> blk = x.Slice(b * Fp4Block, Fp4Block);
            int k = BlockScale.Fp4Exponent(blk);
            exps[b] = checked((sbyte)k);
            for (int i = 0; i < Fp4Block; i += 2)
                packed[(b * Fp4Block + i) >> 1] = (byte)(BlockScale.Fp4Code(blk[i], k) | (BlockScale.Fp4Code(blk[i + 1], k) << 4));
        }
    }

    public static void DecodeFp4<T>(ReadOnlySpan<byte> packed, ReadOnlySpan<sbyte> exps, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<float> table = Fp4E2M1.Table;
        for (int i = 0; i < dst.Length; i += 2)
        {
            float scale = MathF.ScaleB(1f, exps[i / Fp4Block]);
            byte b = packed[i >> 1];
            dst[i] = T.CreateTruncating(table[b & 0xF] * scale);
            dst[i + 1] = T.CreateTruncating(table[b >> 4] * scale);
        }
    }
}
