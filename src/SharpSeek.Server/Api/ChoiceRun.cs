// The requests of one HTTP call (one per choice, seeds seed, seed+1, ...): submitted together to the
// engine, each with the text path's stop-string check as its engine-side stop condition, the
// output constraints (OutputConstraints: tool_choice, response_format) as fresh logit processors, and its own cancellation under the request's abort
// token. Disposing cancels whatever still runs, so an early exit never leaves memory behind.
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization.Text;

namespace SharpSeek.Server.Api;

public sealed class ChoiceRun : IDisposable
{
    private readonly ServingContext _engine;
    private readonly CancellationTokenSource[] _cancel;
    private readonly SequenceHandle[] _handles;
    private readonly System.Diagnostics.Activity? _span;
    private long _outputTokens;

    public ChoiceRun(ServingContext engine, IReadOnlyList<int> promptIds, CommonParams common, int maxTokens, CancellationToken aborted,
        Func<IReadOnlyList<ILogitProcessor>>? processors = null, IReadOnlyList<int>? cachePoints = null, PrefilledPrompt? prefilled = null)
    {
        _engine = engine;
        PromptTokens = prefilled?.PromptTokens ?? promptIds.Count;
        _imageCached = prefilled?.CachedTokens ?? 0;
        _span = engine.Metrics.Telemetry.StartGeneration(engine.Options.ModelId, common.N, maxTokens, common.Sampling.Temperature);
        _span?.SetTag("gen_ai.usage.input_tokens", PromptTokens);
        _cancel = new CancellationTokenSource[common.N];
        _handles = new SequenceHandle[common.N];
        // an image prompt: each choice continues its own copy of the prefilled memory (copied before any runs)
        var sequences = new Runtime.Models.ISequence?[common.N];
        if (prefilled is not null)
            for (int i = 0; i < common.N; i++) sequences[i] = i == 0 ? prefilled.Sequence : prefilled.Sequence.Fork();
        try
        {
            for (int i = 0; i < common.N; i++)
            {
                _cancel[i] = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                var sampling = common.Sampling.Seed is ulong s ? common.Sampling with { Seed = s + (ulong)i } : common.Sampling;
                IStopCondition? stop = common.Stop.Count > 0 && engine.Tokenizer is { } tok
                    ? StopCondition.From(new CompletionText(tok, common.Stop, engine.Model.EosTokenIds).StopsAfter)
                    : null;
                _handles[i] = engine.Engine.Submit(new GenerationRequest
                {
                    PromptIds = promptIds, Sampling = sampling, MaxNewTokens = maxTokens, TopLogprobs = common.TopLogprobs,
                    LogitProcessors = processors?.Invoke(), StopCondition = stop, Speculative = prefilled is null && engine.Options.Speculative,
                    CachePoints = cachePoints,
                    Sequence = sequences[i], SequenceKey = prefilled?.Key,
                }, _cancel[i].Token);
            }
        }
        catch (ArgumentException e) { Dispose(); throw ApiError.BadRequest(e.Message, null); }
    }

    public int PromptTokens { get; }
    private readonly int _imageCached;   // an image prompt's positions forked from the prefix cache
    public int CachedPromptTokens { get; private set; }

    /// <summary>Reads choice <paramref name="index"/>'s tokens as they come; returns its result.</summary>
    public async Task<GenerationResult> ConsumeAsync(int index, Action<GeneratedToken> onToken, Func<Task>? afterToken = null)
    {
        SequenceHandle h = _handles[index];
        await foreach (GeneratedToken t in h.Tokens.ReadAllAsync(CancellationToken.None))
        {
            onToken(t);
            if (afterToken is not null) await afterToken();
        }
        GenerationResult result = await h.Completion;
        _engine.Metrics.Sequence(result);
        if (index == 0) CachedPromptTokens = result.CachedPromptTokens + _imageCached;
        _span?.SetTag("gen_ai.usage.output_tokens", Interlocked.Add(ref _outputTokens, result.Ids.Count));
        _span?.SetTag("sharpseek.cached_input_tokens", CachedPromptTokens);
        _span?.SetTag("gen_ai.response.finish_reasons", result.Finish.ToString());
        return result;
    }

    /// <summary>The OpenAI finish_reason of a choice.</summary>
    public static string FinishReason(GenerationResult result, bool toolCalls) =>
        toolCalls ? "tool_calls" : result.Finish is Runtime.Generation.FinishReason.MaxTokens or Runtime.Generation.FinishReason.ContextLimit ? "length" : "stop";

    public void Dispose()
    {
        foreach (CancellationTokenSource? c in _cancel)
        {
            try { c?.Cancel(); } catch (ObjectDisposedException) { }
        }
        // Observe outcomes so faulted sequences do not surface as unobserved task exceptions.
        foreach (SequenceHandle? h in _handles) _ = h?.Completion.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        foreach (CancellationTokenSource? c in _cancel) c?.Dispose();
        _span?.Dispose();
    }
}
