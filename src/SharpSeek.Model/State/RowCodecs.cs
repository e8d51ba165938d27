// How a row of sequence memory becomes bytes and back. KvCodec holds the block quantisers: a KV row
// of head_dim values is nope FP8 e4m3 codes + nope/64 power-of-two exponents (ue8m0) + the rope
// values in T; an index key packed FP4 e2m1 codes + dim/32 exponents. Encoding performs exactly
// the reference's block fake quant, so decode(encode(x)) is the fake-quantised row and the storage
// is lossless. IRowCodec wraps one layout for a RowStore; the plan names which layout a store uses.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Kernels;

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
            // the same codes, vectorised (FakeQuant.TryFp8Codes): every window row of every token goes through here
            if (typeof(T) == typeof(float) && FakeQuant.TryFp8Codes(MemoryMarshal.Cast<T, float>(blk), codes.Slice(b * Fp8Block, Fp8Block), out int kf))
            {
                exps[b] = checked((sbyte)kf);
                continue;
            }
            int k = BlockScale.Fp8Exponent(blk);
            exps[b] = checked((sbyte)k);
            for (int i = 0; i < Fp8Block; i++) codes[b * Fp8Block + i] = BlockScale.Fp8Code(blk[i], k);
        }
    }

    public static void DecodeFp8<T>(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> exps, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // The same products, vectorised (E4M3Rows): every gathered key row of every token goes through here.
            Span<float> f = MemoryMarshal.Cast<T, float>(dst);
            for (int b = 0; b < exps.Length; b++)
                E4M3Rows.Scaled(codes.Slice(b * Fp8Block, Fp8Block), MathF.ScaleB(1f, exps[b]), f.Slice(b * Fp8Block, Fp8Block));
            return;
        }
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
        if (typeof(T) == typeof(float) && dst.Length % Fp4Block == 0)
        {
            // The same products, vectorised (E2M1Rows): every index key is decoded once per scoring query.
            Span<float> f = MemoryMarshal.Cast<T, float>(dst);
            for (int b = 0; b < dst.Length / Fp4Block; b++)
                E2M1Rows.Scaled(packed.Slice(b * Fp4Block / 2, Fp4Block / 2), Fp4Block, MathF.ScaleB(1f, exps[b]), f.Slice(b * Fp4Block, Fp4Block));
            return;
        }
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

/// <summary>Storage formats of memory rows.</summary>
public enum RowFormat
{
    /// <summary>KV row: nope part FP8 e4m3 codes + ue8m0 exponent per 64 values, rope part kept in T.</summary>
    Fp8KvWithRope,
    /// <summary>Index key: packed FP4 e2m1 codes + ue8m0 exponent per 32 values.</summary>
    Fp4Key,
}

/// <summary>Encodes a row of Width values into BytesPerRow bytes and back (decode(encode(x)) is the stored value).</summary>
public interface IRowCodec<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    int Width { get; }
    int BytesPerRow { get; }
    void Encode(ReadOnlySpan<T> row, Span<byte> dst);
    void Decode(ReadOnlySpan<byte> src, Span<T> row);
}

public static class RowCodecs
{
    /// <summary>The codec of <paramref name="format"/> for rows of <paramref name="width"/> values (the last <paramref name="ropeDim"/> kept exactly).</summary>
    public static IRowCodec<T> Create<T>(RowFormat format, int width, int ropeDim) where T : unmanaged, IFloatingPointIeee754<T> => format switch
    {
        RowFormat.Fp8KvWithRope => new Fp8KvCodec<T>(width - ropeDim, ropeDim),
        RowFormat.Fp4Key => new Fp4KeyCodec<T>(width),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no codec for this row format"),
    };
}

/// <summary>Layout [nope FP8 codes][nope/64 exponents][rope values of T, raw bytes].</summary>
internal sealed class Fp8KvCodec<T>(int nope, int ropeDim) : IRowCodec<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _nope = nope, _rope = ropeDim, _blocks = nope / KvCodec.Fp8Block;

    public int Width => _nope + _rope;
    public int BytesPerRow => _nope + _blocks + _rope * Unsafe.SizeOf<T>();

    public void Encode(ReadOnlySpan<T> row, Span<byte> dst)
    {
        KvCodec.EncodeFp8(row[.._nope], dst[.._nope], MemoryMarshal.Cast<byte, sbyte>(dst.Slice(_nope, _blocks)));
        MemoryMarshal.AsBytes(row.Slice(_nope, _rope)).CopyTo(dst[(_nope + _blocks)..]);
    }

    public void Decode(ReadOnlySpan<byte> src, Span<T> row)
    {
        KvCodec.DecodeFp8(src[.._nope], MemoryMarshal.Cast<byte, sbyte>(src.Slice(_nope, _blocks)), row[.._nope]);
        src.Slice(_nope + _blocks, _rope * Unsafe.SizeOf<T>()).CopyTo(MemoryMarshal.AsBytes(row.Slice(_nope, _rope)));
    }
}

/// <summary>Layout [dim/2 packed FP4 codes (low nibble = even index)][dim/32 exponents].</summary>
internal sealed class Fp4KeyCodec<T>(int dim) : IRowCodec<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _dim = dim, _blocks = dim / KvCodec.Fp4Block;

    public int Width => _dim;
    public int BytesPerRow => _dim / 2 + _blocks;

    public void Encode(ReadOnlySpan<T> row, Span<byte> dst)
        => KvCodec.EncodeFp4(row[.._dim], dst[..(_dim / 2)], MemoryMarshal.Cast<byte, sbyte>(dst.Slice(_dim / 2, _blocks)));

    public void Decode(ReadOnlySpan<byte> src, Span<T> row)
        => KvCodec.DecodeFp4(src[..(_dim / 2)], MemoryMarshal.Cast<byte, sbyte>(src.Slice(_dim / 2, _blocks)), row[.._dim]);
}
