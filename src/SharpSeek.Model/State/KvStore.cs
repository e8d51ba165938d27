// Rows of attention KV in the production layout (FP8 nope part + exponents + rope part in T),
// addressed by slot. The window uses it as a ring, compressed entries as a growing array.
using System.Numerics;

namespace SharpSeek.Model.State;

public sealed class KvStore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private byte[] _codes;
    private sbyte[] _exps;
    private T[] _rope;

    public int Nope { get; }
    public int RopeDim { get; }
    public int Capacity { get; private set; }
    public int HeadDim => Nope + RopeDim;

    public KvStore(int nope, int ropeDim, int capacity)
    {
        Nope = nope; RopeDim = ropeDim; Capacity = capacity;
        _codes = new byte[(long)capacity * nope];
        _exps = new sbyte[(long)capacity * (nope / KvCodec.Fp8Block)];
        _rope = new T[(long)capacity * ropeDim];
    }

    /// <summary>Bytes one row occupies in this store (FP8 codes + exponents + rope values).</summary>
    public int BytesPerRow => Nope + Nope / KvCodec.Fp8Block + RopeDim * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public long BytesAllocated => (long)Capacity * BytesPerRow;

    public void EnsureCapacity(int rows)
    {
        if (rows <= Capacity) return;
        int cap = Math.Max(rows, Math.Max(16, Capacity * 2));
        Array.Resize(ref _codes, cap * Nope);
        Array.Resize(ref _exps, cap * (Nope / KvCodec.Fp8Block));
        Array.Resize(ref _rope, cap * RopeDim);
        Capacity = cap;
    }

    /// <summary>Stores row (HeadDim values, rope part last); the nope part is FP8 fake-quantised on the way in.</summary>
    public void Write(int slot, ReadOnlySpan<T> row)
    {
        int blocks = Nope / KvCodec.Fp8Block;
        KvCodec.EncodeFp8(row[..Nope], _codes.AsSpan(slot * Nope, Nope), _exps.AsSpan(slot * blocks, blocks));
        row.Slice(Nope, RopeDim).CopyTo(_rope.AsSpan(slot * RopeDim, RopeDim));
    }

    /// <summary>Decodes the row in <paramref name="slot"/> into dst (HeadDim values).</summary>
    public void Read(int slot, Span<T> dst)
    {
        int blocks = Nope / KvCodec.Fp8Block;
        KvCodec.DecodeFp8<T>(_codes.AsSpan(slot * Nope, Nope), _exps.AsSpan(slot * blocks, blocks), dst[..Nope]);
        _rope.AsSpan(slot * RopeDim, RopeDim).CopyTo(dst.Slice(Nope, RopeDim));
    }

    /// <summary>An independent copy holding the first <paramref name="rows"/> rows (all of a ring: pass Capacity).</summary>
    public KvStore<T> Clone(int rows)
    {
        if ((uint)rows > (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows asked of a store of {Capacity}");
        var copy = new KvStore<T>(Nope, RopeDim, rows);
        int blocks = Nope / KvCodec.Fp8Block;
        _codes.AsSpan(0, rows * Nope).CopyTo(copy._codes);
        _exps.AsSpan(0, rows * blocks).CopyTo(copy._exps);
        _rope.AsSpan(0, rows * RopeDim).CopyTo(copy._rope);
        return copy;
    }
}

/// <summary>Indexer keys in FP4 (packed e2m1 + one exponent per 32 values), growing.</summary>
public sealed class IndexKeyStore<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private byte[] _packed;
    private sbyte[] _exps;

    public int Dim { get; }
    public int Capacity { get; private set; }

    public IndexKeyStore(int dim, int capacity)
    {
        Dim = dim; Capacity = capacity;
        _packed = new byte[capacity * dim / 2];
        _exps = new sbyte[capacity * dim / KvCodec.Fp4Block];
    }

    public int BytesPerRow => Dim / 2 + Dim / KvCodec.Fp4Block;
    public long BytesAllocated => (long)Capacity * BytesPerRow;

    public void EnsureCapacity(int rows)
    {
        if (rows <= Capacity) return;
        int cap = Math.Max(rows, Math.Max(16, Capacity * 2));
        Array.Resize(ref _packed, cap * Dim / 2);
        Array.Resize(ref _exps, cap * Dim / KvCodec.Fp4Block);
        Capacity = cap;
    }

    public void Write(int slot, ReadOnlySpan<T> row)
        => KvCodec.EncodeFp4(row, _packed.AsSpan(slot * Dim / 2, Dim / 2), _exps.AsSpan(slot * Dim / KvCodec.Fp4Block, Dim / KvCodec.Fp4Block));

    /// <summary>An independent copy holding the first <paramref name="rows"/> keys.</summary>
    public IndexKeyStore<T> Clone(int rows)
    {
        if ((uint)rows > (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows asked of a store of {Capacity}");
        var copy = new IndexKeyStore<T>(Dim, rows);
        _packed.AsSpan(0, rows * Dim / 2).CopyTo(copy._packed);
        _exps.AsSpan(0, rows * Dim / KvCodec.Fp4Block).CopyTo(copy._exps);
        return copy;
    }

    public void Read(int slot, Span<T> dst)
        => KvCodec.DecodeFp4<T>(_packed.AsSpan(slot * Dim / 2, Dim / 2), _exps.AsSpan(slot * Dim / KvCodec.Fp4Block, Dim / KvCodec.Fp4Block), dst);
}
