// Reusable buffers of attention forward calls (keys, logits, selections), grown on demand. One
// instance per thread and precision ([ThreadStatic] scratch, never shared across threads): a
// decode step of a large model would otherwise allocate megabytes of keys per layer.
using System.Numerics;

namespace SharpSeek.Model.Layers;

internal sealed class AttentionScratch<T>(int headDim, int window, int topK) where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic] private static AttentionScratch<T>? t_instance;

    public static AttentionScratch<T> ForThisThread(int headDim, int window, int topK)
    {
        var w = t_instance;
        if (w is null || w._headDim != headDim) t_instance = w = new AttentionScratch<T>(headDim, window, topK);
        return w;
    }

    private readonly int _headDim = headDim;
    private T[] _keys = new T[(window + topK) * headDim];
    private T[] _headLogits = [];
    private T[] _scores = [];
    private int[] _chosen = [];
    private readonly T[] _row = new T[headDim];
    private readonly T[] _entry = new T[headDim];
    private T[] _indexEntry = [];

    public Span<T> Keys(int n) { if (_keys.Length < n * _headDim) _keys = new T[Math.Max(n * _headDim, 2 * _keys.Length)]; return _keys.AsSpan(0, n * _headDim); }
    public T[] KeysArray => _keys;
    public T[] HeadLogits(int n) { if (_headLogits.Length < n) _headLogits = new T[Math.Max(n, 2 * _headLogits.Length)]; return _headLogits; }
    public Span<T> Scores(int n) { if (_scores.Length < n) _scores = new T[Math.Max(n, 2 * _scores.Length)]; return _scores.AsSpan(0, n); }
    public int[] Chosen(int n) { if (_chosen.Length < n) _chosen = new int[Math.Max(n, 2 * _chosen.Length)]; return _chosen; }
    public Span<T> Row(int n) => _row.AsSpan(0, n);
    public Span<T> Entry(int n) => _entry.AsSpan(0, n);
    public Span<T> IndexEntry(int n) { if (_indexEntry.Length < n) _indexEntry = new T[n]; return _indexEntry.AsSpan(0, n); }
}
