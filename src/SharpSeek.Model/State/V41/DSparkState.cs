// One sequence's DSpark draft-head memory, outside the layers: per stage the FP8 KV rows of the main
// model's positions (kv_norm(wkv(main_norm(main_proj(main_hidden)))) with RoPE), indexed by position.
// A draft reads the last window_size rows; the block's own rows are never stored. Rollback(n) is
// exact (truncate to the first n positions); rows older than window + MaxRollback are forgotten.
using System.Numerics;

namespace SharpSeek.Model.State.V41;

public sealed class DSparkState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _window;

    /// <summary>[stage] main-model KV rows [position, head_dim].</summary>
    public RowList<T>[] MainKv { get; }
    /// <summary>Main-model positions whose rows are held (= the main sequence's length when in step).</summary>
    public int Length => MainKv[0].Count;
    public int MaxRollback { get; }

    public DSparkState(int stages, int headDim, int window, int maxRollback = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRollback);
        _window = window;
        MaxRollback = maxRollback;
        MainKv = Enumerable.Range(0, stages).Select(_ => new RowList<T>(headDim)).ToArray();
    }

    private DSparkState(DSparkState<T> o)
    {
        _window = o._window;
        MaxRollback = o.MaxRollback;
        MainKv = o.MainKv.Select(r => r.Clone()).ToArray();
    }

    public DSparkState<T> Clone() => new(this);

    /// <summary>Forgets the rows of positions >= <paramref name="length"/>.</summary>
    public void Rollback(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"cannot roll the DSpark window back to {length} of {Length} positions");
        foreach (RowList<T> r in MainKv) r.Truncate(length);
    }

    /// <summary>Forgets rows no draft and no allowed rollback can read.</summary>
    public void Trim()
    {
        if (MaxRollback == int.MaxValue) return;
        long first = Math.Max(0, (long)Length - MaxRollback - _window);
        foreach (RowList<T> r in MainKv) r.Forget((int)first);
    }

    public long Bytes => MainKv.Sum(r => r.Bytes);
}
