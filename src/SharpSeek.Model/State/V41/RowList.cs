// A growable list of fixed-width rows of T (one per position or per compressed group), indexed by
// logical position, truncatable for exact rollback, and able to forget its oldest rows (a window only
// needs the last window + max-rollback positions). The V4.1 sequence memory is built from these.
using System.Numerics;

namespace SharpSeek.Model.State.V41;

public sealed class RowList<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _data = [];
    private int _first;   // logical index of the first row held
    private int _start;   // its row in _data

    public int Width { get; }
    /// <summary>Logical number of rows (forgotten ones included).</summary>
    public int Count { get; private set; }
    /// <summary>The oldest row still held.</summary>
    public int First => _first;

    public RowList(int width) => Width = width;

    private int Held => Count - _first;

    public void Add(ReadOnlySpan<T> row)
    {
        if (row.Length != Width) throw new ArgumentException($"row of {row.Length} values, expected {Width}");
        if ((_start + Held + 1) * Width > _data.Length) Compact(grow: true);
        row.CopyTo(_data.AsSpan((_start + Held) * Width, Width));
        Count++;
    }

    public ReadOnlySpan<T> Row(int i)
    {
        if (i < _first || i >= Count) throw new ArgumentOutOfRangeException(nameof(i), i < _first ? $"row {i} was forgotten (rows {_first}..{Count - 1} are held)" : $"row {i} of {Count}");
        return _data.AsSpan((_start + i - _first) * Width, Width);
    }

    /// <summary>Keeps the first <paramref name="count"/> rows.</summary>
    public void Truncate(int count)
    {
        if (count < _first || count > Count) throw new ArgumentOutOfRangeException(nameof(count), $"cannot keep {count} of {Count} rows (rows before {_first} are forgotten)");
        Count = count;
    }

    /// <summary>Forgets the rows before <paramref name="first"/>; their space is reused when the buffer next fills.</summary>
    public void Forget(int first)
    {
        first = Math.Min(first, Count);
        if (first <= _first) return;
        _start += first - _first;
        _first = first;
    }

    /// <summary>Moves the held rows to the front; doubles the buffer when they fill more than half of it.</summary>
    private void Compact(bool grow)
    {
        int held = Held;
        T[] target = grow && (held + 1) * 2 * Width > _data.Length ? new T[Math.Max(Width * 16, _data.Length * 2)] : _data;
        Array.Copy(_data, _start * Width, target, 0, held * Width);
        _data = target;
        _start = 0;
    }

    /// <summary>An independent copy of the rows.</summary>
    public RowList<T> Clone() => new(Width) { _data = _data.AsSpan(_start * Width, Held * Width).ToArray(), Count = Count, _first = _first, _start = 0 };

    public long Bytes => (long)_data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
