// The decode state of one request: its memory, sampler, history and the "pending" token (sampled
// and emitted, not yet fed to the model). Prefill feeds the prompt and samples the first token;
// each step feeds the pending token (plain) or lets the speculative stepper feed pending + draft.
// Emit() applies every stop condition in one place so plain and speculative decoding agree.
using System.Diagnostics;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Generation;

internal sealed class SequenceDecoder : IDisposable
{
    private readonly GenerationRequest _request;
    private readonly SequenceLease? _lease;
    private readonly HashSet<int> _eos;
    private readonly List<int> _ids = new();
    private readonly Action<GeneratedToken>? _onToken;
    private readonly Stopwatch _prefillClock = new();
    private readonly Stopwatch _decodeClock = new();

    public SequenceDecoder(int index, ILanguageModel model, MemoryPool pool, GenerationRequest request, Action<GeneratedToken>? onToken)
    {
        if (request.PromptIds.Count == 0) throw new ArgumentException("the prompt is empty: at least one id is needed to predict from");
        if (request.MaxNewTokens < 1) throw new ArgumentException($"max new tokens must be >= 1 (got {request.MaxNewTokens})");
        if (request.PrefillChunk < 1) throw new ArgumentException("prefill chunk must be >= 1");
        foreach (int id in request.PromptIds)
            if ((uint)id >= (uint)model.VocabSize) throw new ArgumentException($"prompt id {id} is outside the vocabulary (0..{model.VocabSize - 1})");
        int start = request.Sequence?.Length ?? 0;
        if (start + request.PromptIds.Count > model.MaxContext)
            throw new ArgumentException($"the prompt needs {start + request.PromptIds.Count} positions but the context holds {model.MaxContext}");
        if (request.UsesDraft && request.DraftSource is null && !model.HasDraftHead)
            throw new ArgumentException("speculative decoding needs a model with an MTP (draft) head; this one has none");

        Index = index;
        Model = model;
        _request = request;
        _onToken = onToken;
        _eos = new HashSet<int>(request.EosTokenIds ?? model.EosTokenIds);
        Sampler = SamplerChain.Create(request.Sampling);
        History = new TokenHistory();
        foreach (int id in request.PromptIds) History.AddPrompt(id);
        if (request.Sequence is null)
        {
            _lease = pool.Rent(Math.Max(request.MaxRollback, request.UsesDraft ? 1 : 0), request.UsesDraft);
            Sequence = _lease.Sequence;
        }
        else Sequence = request.Sequence;
        Logits = new float[model.VocabSize];
        if (request.UsesDraft)
        {
            Stats = new SpeculativeStats();
            Speculator = new SpeculativeStepper(this, request.DraftSource ?? new MtpDraftSource(model), Stats);
        }
    }

    public int Index { get; }
    public ILanguageModel Model { get; }
    public ISequence Sequence { get; }
    public SamplerChain Sampler { get; }
    public TokenHistory History { get; }
    /// <summary>Logits of the last fed position [VocabSize].</summary>
    public float[] Logits { get; }
    public int Pending { get; private set; } = -1;
    public FinishReason? Finish { get; private set; }
    public bool Done => Finish is not null;
    public SpeculativeStats? Stats { get; }
    public SpeculativeStepper? Speculator { get; }

    /// <summary>Feeds the prompt in chunks and samples (and emits) the first token.</summary>
    public void Prefill(CancellationToken ct)
    {
        _prefillClock.Start();
        int v = Model.VocabSize, n = _request.PromptIds.Count;
        int chunk = Math.Min(_request.PrefillChunk, n);
        float[] rows = new float[chunk * v];
        int[] ids = _request.PromptIds.ToArray();
        for (int s = 0; s < n; s += chunk)
        {
            ct.ThrowIfCancellationRequested();
            int m = Math.Min(chunk, n - s);
            Model.Forward(Sequence, ids.AsSpan(s, m), rows.AsSpan(0, m * v));
            if (s + m == n) rows.AsSpan((m - 1) * v, v).CopyTo(Logits);
        }
        _prefillClock.Stop();
        _decodeClock.Start();
        Emit(Sampler.Sample(Logits, History));
    }

    /// <summary>
    /// Records a generated token and applies the stop conditions; true when it ended the request.
    /// <paramref name="alreadyFed"/>: an accepted draft, fed during verification (no context check).
    /// </summary>
    public bool Emit(int id, bool alreadyFed = false)
    {
        _ids.Add(id);
        History.AddGenerated(id);
        Pending = id;
        _onToken?.Invoke(new GeneratedToken(Index, id, _ids.Count - 1));
        if (_eos.Contains(id)) Finish = FinishReason.Eos;
        else if (_request.StopChecker?.Accept(id) == true) Finish = FinishReason.Stop;
        else if (_ids.Count >= _request.MaxNewTokens) Finish = FinishReason.MaxTokens;
        else if (!alreadyFed && Sequence.Length + 1 > Model.MaxContext) Finish = FinishReason.ContextLimit;
        return Finish is not null;
    }

    /// <summary>Marks the pending token as fed (the caller ran Forward on it and filled Logits).</summary>
    public void PendingFed() => Pending = -1;

    public void Cancel() => Finish ??= FinishReason.Cancelled;

    /// <summary>After a plain Forward of the pending token wrote <see cref="Logits"/>: sample the next one.</summary>
    public void SampleNext()
    {
        PendingFed();
        Emit(Sampler.Sample(Logits, History));
    }

    /// <summary>True when a speculative step (pending + one draft) still fits the context.</summary>
    public bool CanSpeculate => Speculator is not null && Sequence.Length + 2 <= Model.MaxContext;

    public GenerationResult Result()
    {
        _decodeClock.Stop();
        return new GenerationResult(Index, _ids.ToArray(), Finish ?? FinishReason.Cancelled, _request.PromptIds.Count,
            _prefillClock.Elapsed, _decodeClock.Elapsed, Stats?.Snapshot());
    }

    public void Dispose() => _lease?.Dispose();
}
