// The caller's side of a submitted request: its tokens as they come (an async stream), then its
// result. Cancelling the token given at submission ends the request and frees its memory at the
// engine's next iteration.
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SharpSeek.Runtime.Generation;

namespace SharpSeek.Runtime.Engine;

public sealed class SequenceHandle
{
    internal SequenceHandle(ChannelReader<GeneratedToken> tokens, Task<GenerationResult> completion)
    {
        Tokens = tokens;
        Completion = completion;
    }

    /// <summary>Every generated token in order (an EOS id included); completes after the last one.</summary>
    public ChannelReader<GeneratedToken> Tokens { get; }
    /// <summary>Completes after the last token was written; faults if the request failed.</summary>
    public Task<GenerationResult> Completion { get; }

    /// <summary>Tokens, then the result, as one stream of events.</summary>
    public async IAsyncEnumerable<GenerationEvent> EventsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (GeneratedToken t in Tokens.ReadAllAsync(ct).ConfigureAwait(false)) yield return new GenerationEvent(t, null);
        yield return new GenerationEvent(null, await Completion.ConfigureAwait(false));
    }
}
