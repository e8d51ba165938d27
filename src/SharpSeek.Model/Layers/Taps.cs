// Named intermediate values ("taps", as in llama.cpp) that a forward pass can report, so a
// mismatch against the reference can be located by block and tap name.
using System.Numerics;

namespace SharpSeek.Model.Layers;

public interface ITapSink<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether block <paramref name="layer"/>'s taps are wanted (cheap check before copying).</summary>
    bool Wants(int layer);

    /// <summary>One row of tap <paramref name="name"/> of block <paramref name="layer"/> at position or entry <paramref name="index"/>.</summary>
    void Record(int layer, string name, long index, ReadOnlySpan<T> row);
}

/// <summary>Collects every tap row in memory: (layer, name) -> index -> values.</summary>
public sealed class TapRecorder<T>(Func<int, bool>? filter = null) : ITapSink<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<(int Layer, string Name), SortedDictionary<long, T[]>> _rows = new();

    public bool Wants(int layer) => filter?.Invoke(layer) ?? true;

    public void Record(int layer, string name, long index, ReadOnlySpan<T> row)
    {
        if (!_rows.TryGetValue((layer, name), out var d)) _rows[(layer, name)] = d = new SortedDictionary<long, T[]>();
        d[index] = row.ToArray();
    }

    public bool TryGet(int layer, string name, long index, out T[] row)
    {
        row = [];
        return _rows.TryGetValue((layer, name), out var d) && d.TryGetValue(index, out row!);
    }

    public IReadOnlyDictionary<long, T[]> Rows(int layer, string name) =>
        _rows.TryGetValue((layer, name), out var d) ? d : new SortedDictionary<long, T[]>();
}
