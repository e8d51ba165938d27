// A growable list of fixed-width rows of T (one per position or per compressed group), truncatable
// for exact rollback. The V4.1 sequence memory is built from these.
using System.Numerics;

namespace SharpSeek.Model.State.V41;

public sealed class RowList<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _data = [];

    public int Width { get; }
    public int Count { get; private set; }

    public RowList(int width) => Width = width;

    public void Add(ReadOnlySpan<T> row)
    {
        if (row.Length != Width) throw new ArgumentException($"row of {row.Length} values, expected {Width}");
        if ((Count + 1) * Width > _data.Length) Array.Resize(ref _data, Math.Max(Width * 16, _data.Length * 2));
        row.CopyTo(_data.AsSpan(Count * Width, Width));
        Count++;
    }

    public ReadOnlySpan<T> Row(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), $"row {i} of {Count}");
        return _data.AsSpan(i * Width, Width);
    }

    /// <summary>Keeps the first <paramref name="count"/> rows.</summary>
    public void Truncate(int count)
    {
        if (count < 0 || count > Count) throw new ArgumentOutOfRangeException(nameof(count), $"cannot keep {count} of {Count} rows");
        Count = count;
    }

    /// <summary>An independent copy of the rows.</summary>
    public RowList<T> Clone()
    {
        var c = new RowList<T>(Width) { _data = _data[..(Count * Width)], Count = Count };
        return c;
    }

    public long Bytes => (long)Count * Width * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
