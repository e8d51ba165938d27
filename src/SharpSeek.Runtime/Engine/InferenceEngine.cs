// THE scheduler: continuous batching over ILanguageModel on token ids. Every front end (generate,
// chat, serve, the in-process IChatClient) submits here. One worker thread owns every model call;
// it runs while there is work and exits when idle. Each iteration:
//   1. admits queued requests (batch slots and memory budget; memory forked from the prefix cache
//      when the prompt starts with a cached prefix),
//   2. ends cancelled requests (their memory is freed at once),
//   3. feeds one prefill chunk of every prefilling request (pausing at prefix-cache points),
//   4. advances every decoding request in ONE batched model call: the pending token, plus a draft
//      for speculative requests (DraftStep), then samples / verifies,
//   5. retires finished requests: memory back to the pool or into the prefix cache.
// A request's tokens depend only on its own prompt, sampler and seed, never on the batch.
using System.Diagnostics;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Engine;

public sealed class InferenceEngine : IDisposable
{
    private const int IdleLingerMs = 200;
    private readonly ILanguageModel _model;
    private readonly EngineOptions _options;
    private readonly List<EngineSequence> _incoming = new();     // submitted, guarded by _gate
    private readonly Queue<EngineSequence> _queue = new();       // taken in by the worker, admitted in order
    private readonly List<EngineSequence> _active = new();
    private readonly List<EngineSequence> _waiting = new();
    private readonly object _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly StepBatch _step;
    private Thread? _worker;
    private bool _stopping;
    private int _activeCount, _queuedCount, _waitingCount, _nextIndex;
    private long _generated, _busyTicks, _promptCached, _promptComputed;

    public InferenceEngine(ILanguageModel model, EngineOptions? options = null, MemoryPool? pool = null)
    {
        _options = options ?? new EngineOptions();
        _options.Validate();
        _model = model;
        Pool = pool ?? new MemoryPool(model);
        if (!ReferenceEquals(Pool.Model, model)) throw new ArgumentException("the memory pool belongs to another model");
        Cache = new PrefixCache(_options.PrefixCacheBytes, _options.PrefixMinTokens);
        _step = new StepBatch(model);
    }

    public ILanguageModel Model => _model;
    public EngineOptions Options => _options;
    /// <summary>Memory of running requests; empty whenever nothing runs.</summary>
    public MemoryPool Pool { get; }
    /// <summary>Snapshots kept for prefix reuse (owned by the worker; read its counters only).</summary>
    public PrefixCache Cache { get; }
    public int QueueLength { get { lock (_gate) return _incoming.Count + Volatile.Read(ref _queuedCount) + Volatile.Read(ref _waitingCount); } }
    public int ActiveCount => Volatile.Read(ref _activeCount);
    public long GeneratedTokens => Interlocked.Read(ref _generated);
    /// <summary>Prompt tokens taken from the prefix cache / computed by prefill since start.</summary>
    public long PromptTokensCached => Interlocked.Read(ref _promptCached);
    public long PromptTokensComputed => Interlocked.Read(ref _promptComputed);
    /// <summary>Time the worker spent computing (not waiting for work).</summary>
    public TimeSpan BusyTime => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    /// <summary>
    /// Queues a request. Invalid requests throw ArgumentException here. <paramref name="observer"/>
    /// sees each token on the worker thread as it is decided (keep it short); cancelling
    /// <paramref name="ct"/> ends the request and frees its memory.
    /// </summary>
    public SequenceHandle Submit(GenerationRequest request, CancellationToken ct = default, Action<GeneratedToken>? observer = null, int index = -1) =>
        SubmitBatch([request], ct, observer, index)[0];

    /// <summary>
    /// Queues several requests at once: the worker admits them in the same iteration (as far as
    /// batch slots allow), so they are decoded together. All are validated before any is queued;
    /// request i gets index <paramref name="firstIndex"/> + i when given.
    /// </summary>
    public SequenceHandle[] SubmitBatch(IReadOnlyList<GenerationRequest> requests, CancellationToken ct = default, Action<GeneratedToken>? observer = null, int firstIndex = -1)
    {
        foreach (GenerationRequest r in requests) Validate(r);
        var batch = new EngineSequence[requests.Count];
        for (int i = 0; i < batch.Length; i++)
            batch[i] = new EngineSequence(firstIndex >= 0 ? firstIndex + i : Interlocked.Increment(ref _nextIndex) - 1, requests[i], _model, observer, ct);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _incoming.AddRange(batch);
            if (_worker is null)
            {
                _worker = new Thread(Loop) { IsBackground = true, Name = "sharpseek-engine" };
                _worker.Start();
            }
        }
        _wake.Set();
        if (ct.CanBeCanceled)
            foreach (EngineSequence s in batch) s.WakeOnCancel = ct.Register(() => { try { _wake.Set(); } catch (ObjectDisposedException) { } });
        return batch.Select(s => s.Handle).ToArray();
    }

    private void Validate(GenerationRequest r)
    {
        if (r.PromptIds.Count == 0) throw new ArgumentException("the prompt is empty: at least one id is needed to predict from");
        if (r.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be >= 1 (got {r.MaxNewTokens})");
        if (r.PrefillChunk is < 1) throw new ArgumentException($"prefill chunk must be >= 1 (got {r.PrefillChunk})");
        if (r.MaxRollback < 0) throw new ArgumentException($"max rollback must be >= 0 (got {r.MaxRollback})");
        if (r.TopLogprobs is < -1 or > 20) throw new ArgumentException($"top logprobs must be in [0, 20] (got {r.TopLogprobs})");
        foreach (int id in r.PromptIds)
            if ((uint)id >= (uint)_model.VocabSize) throw new ArgumentException($"prompt id {id} is outside the vocabulary (0..{_model.VocabSize - 1})");
        if (r.SequenceKey is { } key && key.Count != (r.Sequence?.Length ?? -1))
            throw new ArgumentException($"the sequence key has {key.Count} entries but the given sequence holds {(r.Sequence is null ? "nothing (no sequence)" : r.Sequence.Length + " positions")}");
        int total = (r.Sequence?.Length ?? 0) + r.PromptIds.Count;
        if (!ContextRule.PromptFits(total, _model.MaxContext)) throw new ArgumentException(ContextRule.PromptTooLong(total, _model.MaxContext));
        if (r.UsesDraft && r.DraftSource is null && r.BlockDraftSource is null && !_model.HasDraftHead)
            throw new ArgumentException("speculative decoding needs a model with an MTP (draft) head; this one has none");
        if (r.UsesDraft && r.Sequence is { } own && own.MaxRollback < Speculative.DraftSources.Depth(r, _model))
            throw new ArgumentException($"speculative decoding rolls back up to {Speculative.DraftSources.Depth(r, _model)} tokens; the given sequence allows {own.MaxRollback}");
        r.Sampling.Validate();
        if (r.Sampling.LogitBias is { } bias)
            foreach (int id in bias.Keys)
                if (id >= _model.VocabSize) throw new ArgumentException($"logit bias id {id} is outside the vocabulary (0..{_model.VocabSize - 1})");
    }

    public void Dispose()
    {
        Thread? worker;
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            worker = _worker;
        }
        _wake.Set();
        worker?.Join();
        foreach (EngineSequence s in _incoming.Concat(_queue)) { s.Cancel(); s.Complete(); }
        _incoming.Clear();
        _queue.Clear();
        Cache.Dispose();
        _wake.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            // Idle: linger briefly (back-to-back requests reuse the thread), then exit.
            if (Idle) _wake.WaitOne(IdleLingerMs);
            lock (_gate)
            {
                if (_stopping) break;
                foreach (EngineSequence s in _incoming) _queue.Enqueue(s);
                _incoming.Clear();
                if (Idle) { _worker = null; return; }
            }
            long start = Stopwatch.GetTimestamp();
            Iterate();
            Interlocked.Add(ref _busyTicks, Stopwatch.GetElapsedTime(start).Ticks);
            // Nothing could run (memory budget): wait for a cancellation or a new request.
            if (_active.Count == 0 && _queue.Count > 0) _wake.WaitOne(50);
        }
        foreach (EngineSequence s in _active) { s.Cancel(); Retire(s); }
        foreach (EngineSequence s in _waiting) { s.Cancel(); s.Complete(); }
        _active.Clear();
        _waiting.Clear();
    }

    // Worker-side: nothing running, queued or waiting (submissions are taken in under the gate).
    private bool Idle => _active.Count == 0 && _queue.Count == 0 && _waiting.Count == 0;

    private void Iterate()
    {
        Admit();
        foreach (EngineSequence s in _active)
            if (!s.Done && s.Cancellation.IsCancellationRequested) s.Cancel();
        foreach (EngineSequence s in _active)
            if (!s.Done && s.Prefilling) Guard(s, () => PrefillChunk(s));
        var decoding = _active.Where(s => !s.Done && !s.Prefilling && s.Pending >= 0).ToList();
        if (decoding.Count > 0)
        {
            int before = decoding.Sum(s => s.Generated);
            _step.Run(decoding);
            Interlocked.Add(ref _generated, decoding.Sum(s => s.Generated) - before);
        }
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            if (!_active[i].Done) continue;
            Retire(_active[i]);
            _active.RemoveAt(i);
        }
        Volatile.Write(ref _activeCount, _active.Count);
        Volatile.Write(ref _waitingCount, _waiting.Count);
        Volatile.Write(ref _queuedCount, _queue.Count);
    }

    private void Admit()
    {
        // Requests waiting for a leader's snapshot first: they are admitted once it exists.
        for (int i = 0; i < _waiting.Count && _active.Count < _options.MaxBatch; i++)
        {
            EngineSequence s = _waiting[i];
            var (leader, length) = s.WaitsFor!.Value;
            bool cancelled = s.Cancellation.IsCancellationRequested;
            if (!cancelled && !leader.Done && leader.Prefilled < length) continue;
            if (!cancelled && !HasRoom()) break;
            _waiting.RemoveAt(i--);
            if (cancelled) { s.Cancel(); s.Complete(); continue; }
            Start(s);
        }
        while (_active.Count < _options.MaxBatch && _queue.TryPeek(out EngineSequence? s))
        {
            if (s.Cancellation.IsCancellationRequested) { _queue.Dequeue(); s.Cancel(); s.Complete(); continue; }
            if (s.Request.Sequence is null && !HasRoom()) break;
            _queue.Dequeue();
            if (FollowLeader(s)) { _waiting.Add(s); continue; }
            Start(s);
        }
    }

    private void Start(EngineSequence s)
    {
        try { Attach(s); }
        catch (Exception e) { s.Fail(e); s.Complete(); return; }
        _active.Add(s);
    }

    // A request sharing a long prefix with one still prefilling it (n choices of one prompt, a burst
    // of requests with one system prompt) waits for that leader to snapshot the shared prefix
    // instead of computing it a second time.
    private bool FollowLeader(EngineSequence s)
    {
        if (!Cache.Enabled || s.Request.Sequence is not null) return false;
        int cached = Cache.Find(s.PromptIds, s.UsesDraftHead, Math.Max(s.Request.MaxRollback, s.DraftDepth), touch: false)?.Length ?? 0;
        foreach (EngineSequence a in _active)
        {
            if (a.Done || a.Request.Sequence is not null || a.UsesDraftHead != s.UsesDraftHead) continue;
            int shared = Math.Min(a.PromptIds.AsSpan().CommonPrefixLength(s.PromptIds), s.PromptIds.Length - 1);
            if (shared < Cache.MinTokens || shared <= cached + _options.PrefillChunk / 4 || a.Prefilled >= shared) continue;
            a.CachePoints.Add(shared);
            s.WaitsFor = (a, shared);
            return true;
        }
        return false;
    }

    // Memory budget: cached prefixes give way first; running requests are never preempted.
    private bool HasRoom()
    {
        if (!Pool.HasRoom) return _active.Count == 0 ? throw new PoolExhaustedException($"the memory pool holds {Pool.LiveSequences} sequences (limit {Pool.MaxSequences})") : false;
        if (_options.MemoryBudgetBytes == 0) return true;
        long running = Pool.BytesInUse;
        Cache.Evict(Math.Max(0, _options.MemoryBudgetBytes - running));
        return running < _options.MemoryBudgetBytes || _active.Count == 0;
    }

    // Gives the request its memory: the caller's sequence, a fork of a cached prefix, or a new one.
    private void Attach(EngineSequence s)
    {
        GenerationRequest r = s.Request;
        int n = s.PromptIds.Length;
        if (r.Sequence is not null) { s.StartLength = r.Sequence.Length; s.StartPrefill(); return; }
        int rollback = Math.Max(r.MaxRollback, s.DraftDepth);
        bool draft = s.UsesDraftHead;
        if (Cache.Enabled && Cache.Find(s.PromptIds, draft, rollback) is { } hit)
        {
            ISequence fork = Cache.Fork(hit);
            try { s.Lease = Pool.Adopt(fork); }
            catch { fork.Dispose(); throw; }
            s.Prefilled = s.CachedPromptTokens = hit.Length;
            Interlocked.Add(ref _promptCached, hit.Length);
        }
        else s.Lease = Pool.Rent(rollback, draft);
        if (Cache.Enabled)
        {
            // Snapshot where another request diverged from a cached one (a shared system prompt), at
            // the points the front end named, and at the end of the prompt.
            var points = new SortedSet<int>(r.CachePoints ?? []) { Cache.LongestShared(s.PromptIds, draft), n };
            foreach (int p in points)
                if (p > s.Prefilled && p <= n && p >= Cache.MinTokens) s.CachePoints.Add(p);
        }
        s.StartPrefill();
    }

    private void PrefillChunk(EngineSequence s)
    {
        int v = _model.VocabSize, n = s.PromptIds.Length, from = s.Prefilled;
        int to = Math.Min(n, from + (s.Request.PrefillChunk ?? _options.PrefillChunk));
        if (s.CachePoints.Count > 0 && s.CachePoints.Min < to) to = s.CachePoints.Min;
        float[] last = _step.Scratch(v);   // only the last row is ever used
        _model.ForwardLast(s.Sequence, s.PromptIds.AsSpan(from, to - from), last);
        s.Prefilled = to;
        Interlocked.Add(ref _promptComputed, to - from);
        if (s.CachePoints.Count > 0 && s.CachePoints.Min == to)
        {
            s.CachePoints.Remove(to);
            Cache.Add(s.PromptIds.AsSpan(0, to), s.Sequence.Fork(), s.UsesDraftHead);
        }
        if (s.Prefilling) return;
        last.AsSpan(0, v).CopyTo(s.Logits);
        s.PrefillDone();
        Interlocked.Add(ref _generated, s.Generated);
    }

    // Frees the memory (or keeps it as a cached prefix) and completes the caller's handle.
    private void Retire(EngineSequence s)
    {
        if (s.Lease is { } lease)
        {
            s.Lease = null;
            int fed = lease.Sequence.Length - s.StartLength;
            if (Cache.Enabled && s.Error is null && !s.Prefilling && fed >= s.PromptIds.Length)
            {
                int[] ids = [.. s.PromptIds, .. s.History.Generated.Take(fed - s.PromptIds.Length)];
                Cache.Add(ids, Pool.Release(lease), s.UsesDraftHead);
            }
            else lease.Dispose();
        }
        else if (s.Request is { Sequence: { } own, SequenceKey: { } key } && Cache.Enabled && s.Error is null && !s.Prefilling
                 && own.Length - s.StartLength >= s.PromptIds.Length)
        {
            // the caller's memory (an image prompt) stays the caller's: the cache keeps a copy under its key
            int[] ids = [.. key, .. s.PromptIds, .. s.History.Generated.Take(own.Length - s.StartLength - s.PromptIds.Length)];
            Cache.Add(ids, own.Fork(), s.UsesDraftHead);
        }
        s.Complete();
    }

    // A failure belongs to the one sequence that caused it; the loop and the batch go on.
    private static void Guard(EngineSequence s, Action step)
    {
        try { step(); }
        catch (Exception e) { s.Fail(e); }
    }
}
