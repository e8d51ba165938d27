// A persistent team of worker threads for the kernels' parallel regions (one per core beyond the
// caller's): a region hands out indices [0, count) to the caller and the workers, which take them
// one by one from a shared counter, and returns when all are done. A worker waits for the next region
// spinning briefly, then sleeping (ManualResetEventSlim). Nothing is allocated per region (the body
// is a function pointer and a pointer to the caller's state), unlike a Parallel.For per small op.
// A region started while the team is busy (another caller, or a body that starts a region) runs on
// its caller alone, so one team serves every caller and Size 1 is the same API without threads.
// The team is process-wide, as the thread pool is: its state is only the hand-off of one region.
using System.Runtime.ExceptionServices;

namespace SharpSeek.Tensors.Kernels;

public sealed unsafe class WorkerTeam
{
    /// <summary>One thread per core (the caller counts as one).</summary>
    public static WorkerTeam Shared { get; } = new(Environment.ProcessorCount);

    /// <summary>Iterations a waiting worker spins before it sleeps (ManualResetEventSlim.SpinCount).</summary>
    private const int SpinCount = 200;

    private readonly ManualResetEventSlim[] _go;
    private int _busy;                 // 1 while a region runs (taken by CompareExchange: no re-entry)
    private delegate*<void*, int, void> _body;
    private void* _state;
    private int _count, _next, _running;
    private ExceptionDispatchInfo? _error;

    /// <summary>Threads that run a region: the caller plus Size - 1 workers.</summary>
    public int Size { get; }

    public WorkerTeam(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), $"a team needs at least one thread, got {size}");
        Size = size;
        _go = new ManualResetEventSlim[size - 1];
        for (int i = 0; i < _go.Length; i++)
        {
            _go[i] = new ManualResetEventSlim(false, SpinCount);
            var t = new Thread(Work) { IsBackground = true, Name = $"SharpSeek worker {i + 1}" };
            t.Start(_go[i]);
        }
    }

    /// <summary>
    /// body(state, i) for every i in [0, count), spread over the team; returns when all are done and
    /// rethrows the first exception a body threw. The caller's state must stay valid until then.
    /// </summary>
    public void Run(int count, void* state, delegate*<void*, int, void> body)
    {
        if (count <= 0) return;
        if (count == 1 || Size == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body(state, i);
            return;
        }
        try
        {
            _body = body; _state = state; _count = count; _error = null;
            _next = 0;
            int helpers = Math.Min(_go.Length, count - 1);
            Volatile.Write(ref _running, helpers + 1);
            for (int w = 0; w < helpers; w++) _go[w].Set();
            Share();
            var spin = new SpinWait();
            while (Volatile.Read(ref _running) != 0) spin.SpinOnce(sleep1Threshold: -1);
            _error?.Throw();
        }
        finally
        {
            _body = null; _state = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Takes indices until none are left, then signs off the region.</summary>
    private void Share()
    {
        try
        {
            for (int i = Interlocked.Increment(ref _next) - 1; i < _count; i = Interlocked.Increment(ref _next) - 1) _body(_state, i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _next, int.MaxValue / 2);   // the others stop taking indices
        }
        finally { Interlocked.Decrement(ref _running); }
    }

    private void Work(object? signal)
    {
        var go = (ManualResetEventSlim)signal!;
        while (true)
        {
            go.Wait();
            go.Reset();
            Share();
        }
    }
}
