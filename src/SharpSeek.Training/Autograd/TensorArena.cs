// Step-scoped reuse of tensor buffers. While an arena is active on a thread, Tensor.Zeros takes its
// buffers from it -- cleared, so every value is exactly that of a fresh array -- and Release hands them
// all back for the next step. A training step allocates the same shapes every time, so after the first
// steps nothing of a fixed shape is allocated: no fresh pages to fault in and clear, no large-object-heap
// collections. Shapes that vary by step (rows routed to an expert) are dropped from the pool once no step
// has asked for them in the last few releases, so the pool stays bounded. Nothing created under an arena
// may be read after Release.
namespace SharpSeek.Training.Autograd;

public sealed class TensorArena
{
    private const int KeepReleases = 4;   // > LongEvery of the presets: the long step's shapes survive the short steps between

    private sealed class Pool
    {
        public readonly Stack<float[]> Free = new();
        public int LastAsked;
    }

    private readonly Dictionary<int, Pool> _pools = [];
    private readonly List<float[]> _used = [];
    private int _release;

    [ThreadStatic] private static TensorArena? t_current;

    /// <summary>The arena active on this thread, if any.</summary>
    public static TensorArena? Current => t_current;

    /// <summary>Makes this arena the current one on this thread until the scope is disposed.</summary>
    public Scope Activate()
    {
        var previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    /// <summary>A zeroed buffer of n floats, owned by the arena until Release.</summary>
    public float[] Rent(int n)
    {
        if (!_pools.TryGetValue(n, out Pool? pool)) _pools[n] = pool = new Pool();
        pool.LastAsked = _release;
        float[] a;
        if (pool.Free.Count > 0) { a = pool.Free.Pop(); Array.Clear(a); }
        else a = new float[n];
        _used.Add(a);
        return a;
    }

    /// <summary>Returns every buffer rented since the last Release to the pool; forgets sizes nobody asked for lately.</summary>
    public void Release()
    {
        foreach (float[] a in _used) _pools[a.Length].Free.Push(a);
        _used.Clear();
        _release++;
        foreach (var (n, pool) in _pools)
            if (_release - pool.LastAsked > KeepReleases) _pools.Remove(n);
    }

    /// <summary>Floats held by the pool (free buffers only), for tests.</summary>
    public long PooledFloats => _pools.Values.Sum(p => p.Free.Sum(a => (long)a.Length));

    public readonly struct Scope(TensorArena? previous) : IDisposable
    {
        public void Dispose() => t_current = previous;
    }
}
