// The compressor's partial blocks: the raw per-token rows (kv = wkv x, score = wgate x + ape)
// of the most recent positions, kept in a ring. It holds the current block (and, for the
// overlapping ratio-4 compressor, the previous one) plus the rollback slack.
using System.Numerics;

namespace SharpSeek.Model.State;

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
