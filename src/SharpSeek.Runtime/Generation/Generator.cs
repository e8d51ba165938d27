// The synchronous face of the engine: submit one or several requests to an InferenceEngine and
// wait for their results. It holds no decode loop of its own. Observers run on the engine's
// worker thread as each token is decided, so cancelling from one stops before the next token.
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Generation;

public sealed class Generator
{
    /// <summary>A generator over its own engine (no prefix cache).</summary>
    public Generator(ILanguageModel model, MemoryPool? pool = null) : this(new InferenceEngine(model, pool: pool)) { }

    /// <summary>A generator over a shared engine.</summary>
    public Generator(InferenceEngine engine) => Engine = engine;

    public InferenceEngine Engine { get; }
    public ILanguageModel Model => Engine.Model;
    /// <summary>Where engine-owned sequences come from; empty again after every call returns.</summary>
    public MemoryPool Pool => Engine.Pool;

    /// <summary>Generates for one request; <paramref name="onToken"/> sees each token as it is decided.</summary>
    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken = null, CancellationToken ct = default) =>
        GenerateBatch([request], onToken, ct)[0];

    /// <summary>Generates for several requests decoded together; results in request order.</summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<GeneratedToken>? onToken = null, CancellationToken ct = default)
    {
        using var all = CancellationTokenSource.CreateLinkedTokenSource(ct);
        SequenceHandle[] handles = Engine.SubmitBatch(requests, all.Token, onToken, firstIndex: 0);
        var results = new GenerationResult[requests.Count];
        for (int i = 0; i < handles.Length; i++)
        {
            try { results[i] = handles[i].Completion.GetAwaiter().GetResult(); }
            catch { all.Cancel(); throw; }
        }
        return results;
    }

    /// <summary>Streams tokens and completions of a batch.</summary>
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(IReadOnlyList<GenerationRequest> requests, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true });
        SequenceHandle[] handles = Engine.SubmitBatch(requests, ct, t => channel.Writer.TryWrite(new GenerationEvent(t, null)), firstIndex: 0);
        _ = Task.Run(async () =>
        {
            try
            {
                foreach (SequenceHandle h in handles) channel.Writer.TryWrite(new GenerationEvent(null, await h.Completion.ConfigureAwait(false)));
                channel.Writer.Complete();
            }
            catch (Exception e) { channel.Writer.Complete(e); }
        }, CancellationToken.None);
        await foreach (GenerationEvent e in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false)) yield return e;
    }

    /// <summary>Streams one request.</summary>
    public IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, CancellationToken ct = default) => StreamAsync([request], ct);
}
