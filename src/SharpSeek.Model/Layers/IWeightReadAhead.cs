// The hook a forward call gives its weight read-ahead (bench --read-ahead): told the token ids when a
// call starts and each MoE layer's routing as soon as it is known, it may ask the kernel for pages
// that will be read soon. It never changes a value the layers compute.
using System.Numerics;

namespace SharpSeek.Model.Layers;

public interface IWeightReadAhead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A forward call over <paramref name="ids"/> [T] starts (before block 0).</summary>
    void Begin(ReadOnlySpan<int> ids);

    /// <summary>
    /// MoE layer <paramref name="layer"/> routed x [T, dim] (its FFN input) to <paramref name="chosen"/> [T, k];
    /// its routed experts run next.
    /// </summary>
    void Routed(int layer, ReadOnlySpan<T> x, ReadOnlySpan<int> ids, ReadOnlySpan<int> chosen, int tokens);
}
