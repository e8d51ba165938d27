// The engine's state of one submitted request: its memory (a pool lease, a fork of a cached prefix
// or the caller's own sequence), sampler, history, prefill cursor and the pending token (sampled
// and emitted, not yet fed). Emit() applies every stop condition in ONE place (EOS, the request's
// stop condition, max tokens, the context rule), so plain and speculative steps agree. Touched
// only by the engine thread; the caller sees it through its SequenceHandle.
using System.Diagnostics;
using System.Threading.Channels;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Engine;

internal sealed class EngineSequence
{
    private readonly Channel<GeneratedToken> _tokens = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly TaskCompletionSource<GenerationResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _eos;
    private readonly List<int> _ids = new();
    private readonly Action<GeneratedToken>? _observer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Stopwatch _prefillClock = new();
    private readonly Stopwatch _decodeClock = new();
    private TimeSpan _firstToken;

    public EngineSequence(int index, GenerationRequest request, ILanguageModel model, Action<GeneratedToken>? observer, CancellationToken ct)
    {
        Index = index;
        Request = request;
        Model = model;
        Cancellation = ct;
        _observer = observer;
        _eos = new HashSet<int>(request.EosTokenIds ?? model.EosTokenIds);
        Sampler = SamplerChain.Create(request.Sampling, request.LogitProcessors);
        History = new TokenHistory();
        foreach (int id in request.PromptIds) History.AddPrompt(id);
        Logits = new float[model.VocabSize];
        PromptIds = request.PromptIds as int[] ?? request.PromptIds.ToArray();
        if (request.UsesDraft)
        {
            Stats = new SpeculativeStats();
            Draft = new DraftStep(DraftSources.For(request, model), model.VocabSize);
        }
        Handle = new SequenceHandle(_tokens.Reader, _done.Task);
    }

    public int Index { get; }
    public GenerationRequest Request { get; }
    public ILanguageModel Model { get; }
    public CancellationToken Cancellation { get; }
    public SequenceHandle Handle { get; }
    public int[] PromptIds { get; }
    public SamplerChain Sampler { get; }
    public TokenHistory History { get; }
    /// <summary>Logits of the last fed position [VocabSize].</summary>
    public float[] Logits { get; }
    public SpeculativeStats? Stats { get; }
    public DraftStep? Draft { get; }
    /// <summary>Whether the memory carries the model's draft (MTP) head.</summary>
    public bool UsesDraftHead => Request.UsesDraft && Model.HasDraftHead;

    /// <summary>The memory: an engine lease or the caller's sequence.</summary>
    public ISequence Sequence => Lease?.Sequence ?? Request.Sequence ?? throw new InvalidOperationException("the sequence has no memory yet");
    public SequenceLease? Lease { get; set; }
    public bool HasMemory => Lease is not null || Request.Sequence is not null;
    /// <summary>Length of the memory before this request (a continued sequence) — positions not counted as prompt.</summary>
    public int StartLength { get; set; }
    /// <summary>Prompt ids already in memory (fed, or taken from the prefix cache).</summary>
    public int Prefilled { get; set; }
    public int CachedPromptTokens { get; set; }
    /// <summary>Prompt lengths at which the prefix cache wants a snapshot, ascending.</summary>
    public SortedSet<int> CachePoints { get; } = new();
    /// <summary>A running request whose prefill will snapshot the prefix this one shares; admission waits for it.</summary>
    public (EngineSequence Leader, int Length)? WaitsFor { get; set; }
    public bool Prefilling => Prefilled < PromptIds.Length;
    public int Pending { get; private set; } = -1;
    public FinishReason? Finish { get; private set; }
    public Exception? Error { get; private set; }
    public bool Done => Finish is not null || Error is not null;
    public int Generated => _ids.Count;
    /// <summary>Prompt + generated tokens: what the context rule counts.</summary>
    public int Total => StartLength + PromptIds.Length + _ids.Count;

    /// <summary>Wakes the engine when the caller cancels; released when the request completes.</summary>
    public CancellationTokenRegistration WakeOnCancel { get; set; }

    public void StartPrefill() => _prefillClock.Start();

    /// <summary>The prompt is in memory and its last row is in Logits: sample and emit the first token.</summary>
    public void PrefillDone()
    {
        _prefillClock.Stop();
        if (Request.PrefillOnly) { Finish = FinishReason.MaxTokens; return; }
        _decodeClock.Start();
        SampleAndEmit();
    }

    /// <summary>Samples from <see cref="Logits"/> (the pending token was fed) and emits.</summary>
    public void SampleAndEmit()
    {
        Pending = -1;
        Emit(Sampler.Sample(Logits, History), Logits);
    }

    /// <summary>Marks the pending token as fed.</summary>
    public void PendingFed() => Pending = -1;

    /// <summary>
    /// Records a generated token (its logprobs from <paramref name="logits"/>, the row it was chosen
    /// from), streams it and applies the stop conditions; true when it ended the request.
    /// </summary>
    public bool Emit(int id, ReadOnlySpan<float> logits)
    {
        _ids.Add(id);
        History.AddGenerated(id);
        Pending = id;
        if (_ids.Count == 1) _firstToken = _clock.Elapsed;
        TokenLogprob? lp = Request.TopLogprobs >= 0 ? Logprobs.Of(logits, id, Request.TopLogprobs) : null;
        var token = new GeneratedToken(Index, id, _ids.Count - 1, lp);
        _observer?.Invoke(token);
        _tokens.Writer.TryWrite(token);
        if (_eos.Contains(id)) Finish = FinishReason.Eos;
        else if (Request.StopCondition?.ShouldStop(id) == true) Finish = FinishReason.Stop;
        else if (_ids.Count >= Request.MaxNewTokens) Finish = FinishReason.MaxTokens;
        else if (ContextRule.Room(Total, Model.MaxContext) <= 0) Finish = FinishReason.ContextLimit;
        else if (Cancellation.IsCancellationRequested) Finish = FinishReason.Cancelled;
        return Finish is not null;
    }

    /// <summary>Whether the next step may feed pending + the drafts: the context has room for all their outputs.</summary>
    public bool CanSpeculate => Draft is not null && ContextRule.Room(Total, Model.MaxContext) >= Draft.Depth + 1 && Request.MaxNewTokens - _ids.Count >= 1;

    /// <summary>Tokens a speculative step may roll back (0 without a draft).</summary>
    public int DraftDepth => Draft?.Depth ?? 0;

    public void Cancel() => Finish ??= FinishReason.Cancelled;

    public void Fail(Exception e) => Error ??= e;

    /// <summary>Completes the caller's handle (once); the engine has already freed or cached the memory.</summary>
    public void Complete()
    {
        WakeOnCancel.Dispose();
        _prefillClock.Stop();
        _decodeClock.Stop();
        if (Error is not null)
        {
            _tokens.Writer.TryComplete(Error);
            _done.TrySetException(Error);
            return;
        }
        _tokens.Writer.TryComplete();
        _done.TrySetResult(new GenerationResult(Index, _ids.ToArray(), Finish ?? FinishReason.Cancelled, PromptIds.Length,
            _prefillClock.Elapsed, _decodeClock.Elapsed, Stats?.Snapshot())
        { CachedPromptTokens = CachedPromptTokens, TimeToFirstToken = _firstToken, LastLogits = Request.PrefillOnly && !Prefilling ? (float[])Logits.Clone() : null });
    }
}
