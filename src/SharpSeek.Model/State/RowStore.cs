// The stores of sequence memory. RowStore<T> keeps encoded rows of one codec (RowCodecs.cs) in one
// byte array addressed by slot: the window uses it as a ring, compressed entries and index keys as
// growing arrays; it knows nothing of positions (the slot arithmetic lives in AttentionState).
// CompressorHistory<T> keeps the compressors' raw partial-block rows by position, in a ring.
using System.Numerics;

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

public sealed class CompressorHistory<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _kv;
    private readonly T[] _score;

    public int Width { get; }
    public int Capacity { get; }

    public CompressorHistory(int width, int capacity)
    {
        Width = width; Capacity = capacity;
        _kv = new T[width * capacity];
        _score = new T[width * capacity];
    }

    public long BytesAllocated => 2L * Width * Capacity * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public void Write(long pos, ReadOnlySpan<T> kv, ReadOnlySpan<T> score)
    {
        int slot = (int)(pos % Capacity);
        kv.CopyTo(_kv.AsSpan(slot * Width, Width));
        score.CopyTo(_score.AsSpan(slot * Width, Width));
    }

    public ReadOnlySpan<T> Kv(long pos) => _kv.AsSpan((int)(pos % Capacity) * Width, Width);
    public ReadOnlySpan<T> Score(long pos) => _score.AsSpan((int)(pos % Capacity) * Width, Width);

    /// <summary>An independent copy of the whole ring.</summary>
    public CompressorHistory<T> Clone()
    {
        var copy = new CompressorHistory<T>(Width, Capacity);
        _kv.CopyTo(copy._kv, 0);
        _score.CopyTo(copy._score, 0);
        return copy;
    }
}
