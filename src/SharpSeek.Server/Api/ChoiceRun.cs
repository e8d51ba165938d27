// The sequences of one request (one per choice, seeds seed, seed+1, ...): submitted together, each
// with its own cancellation (a stop string ends only its choice) under the request's abort token.
// Disposing cancels whatever still runs, so an early exit never leaves memory behind.
using SharpSeek.Runtime.Generation;
using SharpSeek.Server.Hosting;
using SharpSeek.Server.Scheduling;

namespace SharpSeek.Server.Api;

public sealed class ChoiceRun : IDisposable
{
    private readonly ServingContext _engine;
    private readonly CancellationTokenSource[] _cancel;
    private readonly SequenceHandle[] _handles;

    public ChoiceRun(ServingContext engine, IReadOnlyList<int> promptIds, CommonParams common, int maxTokens, CancellationToken aborted, ForcedTokens? forced = null)
    {
        _engine = engine;
        PromptTokens = promptIds.Count;
        _cancel = new CancellationTokenSource[common.N];
        _handles = new SequenceHandle[common.N];
        for (int i = 0; i < common.N; i++)
        {
            _cancel[i] = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            var sampling = common.Sampling.Seed is ulong s ? common.Sampling with { Seed = s + (ulong)i } : common.Sampling;
            _handles[i] = engine.Scheduler.Submit(new SequenceRequest
            {
                PromptIds = promptIds, Sampling = sampling, MaxNewTokens = maxTokens, TopLogprobs = common.TopLogprobs, Forced = forced,
            }, _cancel[i].Token);
        }
    }

    public int PromptTokens { get; }

    /// <summary>
    /// Reads choice <paramref name="index"/>'s tokens; <paramref name="onToken"/> returns true to end
    /// the choice early (stop string). Returns the outcome (Finish = Stop when ended early).
    /// </summary>
    public async Task<SequenceOutcome> ConsumeAsync(int index, Func<SequenceToken, bool> onToken, Func<Task>? afterToken = null)
    {
        SequenceHandle h = _handles[index];
        bool early = false;
        await foreach (SequenceToken t in h.Tokens.ReadAllAsync(CancellationToken.None))
        {
            if (onToken(t)) { early = true; _cancel[index].Cancel(); break; }
            if (afterToken is not null) await afterToken();
        }
        SequenceOutcome outcome = await h.Completion;
        _engine.Metrics.Sequence(outcome);
        return early ? outcome with { Finish = FinishReason.Stop } : outcome;
    }

    public void Dispose()
    {
        foreach (CancellationTokenSource c in _cancel)
        {
            try { c.Cancel(); } catch (ObjectDisposedException) { }
        }
        // Observe outcomes so faulted sequences do not surface as unobserved task exceptions.
        foreach (SequenceHandle h in _handles) _ = h.Completion.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        foreach (CancellationTokenSource c in _cancel) c.Dispose();
    }
}
