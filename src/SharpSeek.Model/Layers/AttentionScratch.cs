// Reusable buffers of one attention forward call (keys, logits, selections), grown on demand.
using System.Numerics;

namespace SharpSeek.Model.Layers;

internal sealed class AttentionScratch<T>(int headDim, int window, int topK) where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _keys = new T[(window + topK) * headDim];
    private T[] _logits = new T[window + topK];
    private T[] _scores = [];
    private int[] _chosen = [];
    private readonly T[] _row = new T[headDim];
    private readonly T[] _entry = new T[headDim];
    private T[] _indexEntry = [];

    public Span<T> Keys(int n) { if (_keys.Length < n * headDim) _keys = new T[n * headDim]; return _keys.AsSpan(0, n * headDim); }
    public Span<T> Logits(int n) { if (_logits.Length < n) _logits = new T[n]; return _logits.AsSpan(0, n); }
    public Span<T> Scores(int n) { if (_scores.Length < n) _scores = new T[Math.Max(n, 2 * _scores.Length)]; return _scores.AsSpan(0, n); }
    public int[] Chosen(int n) { if (_chosen.Length < n) _chosen = new int[Math.Max(n, 2 * _chosen.Length)]; return _chosen; }
    public Span<T> Row(int n) => _row.AsSpan(0, n);
    public Span<T> Entry(int n) => _entry.AsSpan(0, n);
    public Span<T> IndexEntry(int n) { if (_indexEntry.Length < n) _indexEntry = new T[n]; return _indexEntry.AsSpan(0, n); }
}
