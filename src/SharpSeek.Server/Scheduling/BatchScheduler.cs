// Continuous batching. One thread owns every model call: each iteration admits queued sequences
// (up to MaxBatch), drops cancelled ones (freeing their memory at once), feeds one prefill chunk
// of each sequence still prefilling, and advances every decoding sequence by one token in a single
// batched step. Sequences join and leave between iterations; a sequence's tokens depend only on
// its own prompt, sampler and chunking, never on what else is in the batch.
using System.Collections.Concurrent;
using System.Diagnostics;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Server.Scheduling;

public sealed record SchedulerOptions
{
    /// <summary>Sequences decoded together; more wait in the queue.</summary>
    public int MaxBatch { get; init; } = 16;
    /// <summary>Prompt tokens per prefill Forward (one chunk per sequence per iteration).</summary>
    public int PrefillChunk { get; init; } = 64;
}

public sealed class BatchScheduler : IDisposable
{
    private readonly ILanguageModel _model;
    private readonly MemoryPool _pool;
    private readonly SchedulerOptions _options;
    private readonly ConcurrentQueue<ActiveSequence> _queue = new();
    private readonly List<ActiveSequence> _active = new();
    private readonly ManualResetEventSlim _signal = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _activeCount;
    private long _decodedTokens;
    private long _busyTicks;
    private float[] _stepLogits = [];

    public BatchScheduler(ILanguageModel model, MemoryPool pool, SchedulerOptions? options = null)
    {
        if (!ReferenceEquals(pool.Model, model)) throw new ArgumentException("the memory pool belongs to another model");
        _model = model;
        _pool = pool;
        _options = options ?? new SchedulerOptions();
        if (_options.MaxBatch < 1 || _options.PrefillChunk < 1) throw new ArgumentException("max batch and prefill chunk must be >= 1");
        _thread = new Thread(Loop) { IsBackground = true, Name = "sharpseek-scheduler" };
        _thread.Start();
    }

    public ILanguageModel Model => _model;
    public MemoryPool Pool => _pool;
    /// <summary>Sequences waiting for a batch slot.</summary>
    public int QueueLength => _queue.Count;
    /// <summary>Sequences in the batch (prefilling or decoding).</summary>
    public int ActiveCount => Volatile.Read(ref _activeCount);
    /// <summary>Tokens sampled by the scheduler since start.</summary>
    public long GeneratedTokens => Interlocked.Read(ref _decodedTokens);
    /// <summary>Time the scheduler spent computing (not waiting for work).</summary>
    public TimeSpan BusyTime => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    /// <summary>Queues a sequence. Cancelling <paramref name="ct"/> ends it and frees its memory.</summary>
    public SequenceHandle Submit(SequenceRequest request, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (request.PromptIds.Count == 0) throw new ArgumentException("the prompt is empty: at least one id is needed to predict from");
        if (request.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be >= 1 (got {request.MaxNewTokens})");
        foreach (int id in request.PromptIds)
            if ((uint)id >= (uint)_model.VocabSize) throw new ArgumentException($"prompt id {id} is outside the vocabulary (0..{_model.VocabSize - 1})");
        if (request.PromptIds.Count >= _model.MaxContext)
            throw new ArgumentException($"the prompt needs {request.PromptIds.Count} positions but the context holds {_model.MaxContext}");
        var s = new ActiveSequence(request, _model, ct);
        _queue.Enqueue(s);
        _signal.Set();
        ct.Register(_signal.Set);
        return s.Handle;
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _signal.Set();
        _thread.Join();
        while (_queue.TryDequeue(out ActiveSequence? s)) { s.Cancel(); s.Complete(); }
        _signal.Dispose();
    }

    private void Loop()
    {
        while (!_stopping)
        {
            _signal.Reset();
            if (_active.Count == 0 && _queue.IsEmpty) { _signal.Wait(); continue; }
            long start = Stopwatch.GetTimestamp();
            Iterate();
            Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(start).Ticks);
        }
        foreach (ActiveSequence s in _active) { s.Cancel(); s.Complete(); }
        _active.Clear();
    }

    private void Iterate()
    {
        while (_active.Count < _options.MaxBatch && _queue.TryDequeue(out ActiveSequence? s)) Admit(s);
        foreach (ActiveSequence s in _active)
            if (s.Cancellation.IsCancellationRequested) s.Cancel();
        foreach (ActiveSequence s in _active)
            if (!s.Done && s.Prefilling) Guard(s, () => PrefillChunk(s));
        var decoding = _active.Where(s => !s.Done && !s.Prefilling && s.Pending >= 0).ToList();
        if (decoding.Count > 0) DecodeStep(decoding);
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            if (!_active[i].Done) continue;
            _active[i].Complete();
            _active.RemoveAt(i);
        }
        Volatile.Write(ref _activeCount, _active.Count);
    }

    private void Admit(ActiveSequence s)
    {
        if (s.Cancellation.IsCancellationRequested) { s.Cancel(); s.Complete(); return; }
        try { s.Lease = _pool.Rent(maxRollback: 1); }
        catch (Exception e) { s.Fail(e); s.Complete(); return; }
        _active.Add(s);
    }

    private void PrefillChunk(ActiveSequence s)
    {
        int v = _model.VocabSize, n = s.Request.PromptIds.Count;
        int m = Math.Min(_options.PrefillChunk, n - s.Prefilled);
        int[] ids = new int[m];
        for (int i = 0; i < m; i++) ids[i] = s.Request.PromptIds[s.Prefilled + i];
        float[] rows = Scratch(m * v);
        _model.Forward(s.Lease!.Sequence, ids, rows.AsSpan(0, m * v));
        s.Prefilled += m;
        if (s.Prefilling) return;
        rows.AsSpan((m - 1) * v, v).CopyTo(s.Logits);
        s.SampleAndEmit(_model.MaxContext);
        Interlocked.Increment(ref _decodedTokens);
    }

    private void DecodeStep(List<ActiveSequence> batch)
    {
        int v = _model.VocabSize;
        var sequences = new ISequence[batch.Count];
        var ids = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++) { sequences[i] = batch[i].Lease!.Sequence; ids[i] = batch[i].Pending; }
        float[] logits = Scratch(batch.Count * v);
        try { BatchForward.Run(_model, sequences, ids, logits); }
        catch (Exception e)
        {
            foreach (ActiveSequence s in batch) s.Fail(e);
            return;
        }
        for (int i = 0; i < batch.Count; i++)
        {
            ActiveSequence s = batch[i];
            logits.AsSpan(i * v, v).CopyTo(s.Logits);
            Guard(s, () => s.SampleAndEmit(_model.MaxContext));
        }
        Interlocked.Add(ref _decodedTokens, batch.Count);
    }

    // A failure belongs to the one sequence that caused it; the loop and the batch go on.
    private static void Guard(ActiveSequence s, Action step)
    {
        try { step(); }
        catch (Exception e) { s.Fail(e); }
    }

    private float[] Scratch(int n)
    {
        if (_stepLogits.Length < n) _stepLogits = new float[n];
        return _stepLogits;
    }
}
