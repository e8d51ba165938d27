// Scheduler-side state of one sequence: memory lease, sampler, history, prefill progress and the
// pending token (sampled and streamed, not yet fed). Touched only by the scheduler thread.
using System.Diagnostics;
using System.Threading.Channels;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Server.Scheduling;

internal sealed class ActiveSequence
{
    private readonly Channel<SequenceToken> _tokens = Channel.CreateUnbounded<SequenceToken>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly TaskCompletionSource<SequenceOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _eos;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _firstToken;
    private int _generated;
    private readonly ForcedCursor? _forced;

    public ActiveSequence(SequenceRequest request, ILanguageModel model, CancellationToken ct)
    {
        Request = request;
        Cancellation = ct;
        _eos = new HashSet<int>(request.EosTokenIds ?? model.EosTokenIds);
        Sampler = SamplerChain.Create(request.Sampling);
        History = new TokenHistory();
        foreach (int id in request.PromptIds) History.AddPrompt(id);
        Logits = new float[model.VocabSize];
        _forced = request.Forced is null ? null : new ForcedCursor(request.Forced);
        Handle = new SequenceHandle(_tokens.Reader, _done.Task);
    }

    public SequenceRequest Request { get; }
    public CancellationToken Cancellation { get; }
    public SequenceHandle Handle { get; }
    public SamplerChain Sampler { get; }
    public TokenHistory History { get; }
    public float[] Logits { get; }
    public SequenceLease? Lease { get; set; }
    /// <summary>Prompt ids fed so far.</summary>
    public int Prefilled { get; set; }
    public bool Prefilling => Prefilled < Request.PromptIds.Count;
    public int Pending { get; private set; } = -1;
    public FinishReason? Finish { get; private set; }
    public Exception? Error { get; private set; }
    public bool Done => Finish is not null || Error is not null;

    /// <summary>Samples from <see cref="Logits"/> (or takes the forced id), streams the token and applies the stop conditions.</summary>
    public void SampleAndEmit(int maxContext)
    {
        int id = _forced?.Next() ?? Sampler.Sample(Logits, History);
        _forced?.Emitted(id);
        History.AddGenerated(id);
        _generated++;
        if (_generated == 1) _firstToken = _clock.Elapsed;
        Pending = id;
        if (_eos.Contains(id)) { Finish = FinishReason.Eos; return; }
        TokenLogprob? lp = Request.TopLogprobs >= 0 ? Logprobs.Of(Logits, id, Request.TopLogprobs) : null;
        _tokens.Writer.TryWrite(new SequenceToken(id, lp));
        if (_generated >= Request.MaxNewTokens) Finish = FinishReason.MaxTokens;
        else if (Lease!.Sequence.Length + 1 > maxContext) Finish = FinishReason.ContextLimit;
    }

    public void Cancel() => Finish ??= FinishReason.Cancelled;

    public void Fail(Exception e) => Error ??= e;

    /// <summary>Frees the memory and completes the caller's handle (once).</summary>
    public void Complete()
    {
        Lease?.Dispose();
        Lease = null;
        if (Error is not null)
        {
            _tokens.Writer.TryComplete(Error);
            _done.TrySetException(Error);
            return;
        }
        _tokens.Writer.TryComplete();
        _done.TrySetResult(new SequenceOutcome(Finish ?? FinishReason.Cancelled, Request.PromptIds.Count, _generated, _firstToken, _clock.Elapsed));
    }
}
