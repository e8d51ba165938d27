// How rows of sequence memory are stored: a codec turns a row of T into bytes and back (window and
// compressed KV: FP8 nope + rope in T; indexer keys: FP4), and a RowStore keeps rows of one codec
// in one byte array addressed by slot. Which codec a kind of row uses is stated in the layer's
// LayerMemoryPlan, so another format (e.g. FP4 compressed KV) is one more codec here. A store knows
// nothing of positions: the slot arithmetic lives in AttentionState.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpSeek.Model.State;

public sealed class RowStore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IRowCodec<T> _codec;
    private byte[] _bytes;

    public int Capacity { get; private set; }
    public int Width => _codec.Width;
    /// <summary>Bytes one row occupies in this store.</summary>
    public int BytesPerRow => _codec.BytesPerRow;
    public long BytesAllocated => (long)Capacity * BytesPerRow;

    public RowStore(IRowCodec<T> codec, int capacity)
    {
        _codec = codec;
        Capacity = capacity;
        _bytes = new byte[checked(capacity * codec.BytesPerRow)];
    }

    /// <summary>Grows (at least doubling, at least 16 rows) so that <paramref name="rows"/> rows fit.</summary>
    public void EnsureCapacity(int rows)
    {
        if (rows <= Capacity) return;
        int cap = Math.Max(rows, Math.Max(16, Capacity * 2));
        Array.Resize(ref _bytes, checked(cap * BytesPerRow));
        Capacity = cap;
    }

    /// <summary>Encodes row (Width values) into <paramref name="slot"/>.</summary>
    public void Write(int slot, ReadOnlySpan<T> row) => _codec.Encode(row, Slot(slot));

    /// <summary>Decodes the row in <paramref name="slot"/> into dst (Width values).</summary>
    public void Read(int slot, Span<T> dst) => _codec.Decode(Slot(slot), dst);

    /// <summary>An independent copy holding the first <paramref name="rows"/> rows (all of a ring: pass Capacity).</summary>
    public RowStore<T> Clone(int rows)
    {
        if ((uint)rows > (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows asked of a store of {Capacity}");
        var copy = new RowStore<T>(_codec, rows);
        _bytes.AsSpan(0, rows * BytesPerRow).CopyTo(copy._bytes);
        return copy;
    }

    private Span<byte> Slot(int slot)
    {
        if ((uint)slot >= (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} of a store of {Capacity} rows");
        return _bytes.AsSpan(slot * BytesPerRow, BytesPerRow);
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
