// The decode loop. Prefills every request, then steps all unfinished requests together until each
// meets a stop condition: plain requests advance one token each through one batched model call
// (BatchForward: a single call when the model implements IBatchLanguageModel), speculative ones
// draft + verify on their own. Every request has its own sampler and memory; results do not
// depend on what else is in the batch. Cancellation ends requests with FinishReason.Cancelled.
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Generation;

public sealed class Generator
{
    private readonly ILanguageModel _model;

    public Generator(ILanguageModel model, MemoryPool? pool = null)
    {
        _model = model;
        Pool = pool ?? new MemoryPool(model);
        if (!ReferenceEquals(Pool.Model, model)) throw new ArgumentException("the memory pool belongs to another model");
    }

    public ILanguageModel Model => _model;
    /// <summary>Where rented sequences come from; empty again after every call returns.</summary>
    public MemoryPool Pool { get; }

    /// <summary>Generates for one request; <paramref name="onToken"/> sees each token as it is decided.</summary>
    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken = null, CancellationToken ct = default) =>
        GenerateBatch([request], onToken, ct)[0];

    /// <summary>Generates for several requests decoded together; results in request order.</summary>
    public IReadOnlyList<GenerationResult> GenerateBatch(IReadOnlyList<GenerationRequest> requests, Action<GeneratedToken>? onToken = null, CancellationToken ct = default)
    {
        var decoders = new List<SequenceDecoder>(requests.Count);
        try
        {
            for (int i = 0; i < requests.Count; i++) decoders.Add(new SequenceDecoder(i, _model, Pool, requests[i], onToken));
            foreach (SequenceDecoder d in decoders)
            {
                if (ct.IsCancellationRequested) { d.Cancel(); continue; }
                try { d.Prefill(ct); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { d.Cancel(); }
            }
            var plain = new List<SequenceDecoder>();
            while (true)
            {
                if (ct.IsCancellationRequested) foreach (SequenceDecoder d in decoders) d.Cancel();
                plain.Clear();
                foreach (SequenceDecoder d in decoders)
                {
                    if (d.Done) continue;
                    if (d.CanSpeculate) d.Speculator!.Step();
                    else plain.Add(d);
                }
                if (plain.Count > 0) PlainStep(plain);
                if (decoders.All(d => d.Done)) break;
            }
            return decoders.Select(d => d.Result()).ToArray();
        }
        finally
        {
            foreach (SequenceDecoder d in decoders) d.Dispose();
        }
    }

    /// <summary>Streams tokens and completions of a batch; the loop runs on a worker thread.</summary>
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(IReadOnlyList<GenerationRequest> requests, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task worker = Task.Run(() =>
        {
            try
            {
                IReadOnlyList<GenerationResult> results = GenerateBatch(requests, t => channel.Writer.TryWrite(new GenerationEvent(t, null)), ct);
                foreach (GenerationResult r in results) channel.Writer.TryWrite(new GenerationEvent(null, r));
                channel.Writer.Complete();
            }
            catch (Exception e) { channel.Writer.Complete(e); }
        }, CancellationToken.None);
        await foreach (GenerationEvent e in channel.Reader.ReadAllAsync(CancellationToken.None)) yield return e;
        await worker;
    }

    /// <summary>Streams one request.</summary>
    public IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, CancellationToken ct = default) => StreamAsync([request], ct);

    // One token for every plain request: feed the pending tokens in one (batched) call, sample the next.
    private void PlainStep(List<SequenceDecoder> batch)
    {
        int v = _model.VocabSize;
        var sequences = new ISequence[batch.Count];
        var ids = new int[batch.Count];
        for (int i = 0; i < batch.Count; i++) { sequences[i] = batch[i].Sequence; ids[i] = batch[i].Pending; }
        float[] logits = new float[batch.Count * v];
        BatchForward.Run(_model, sequences, ids, logits);
        for (int i = 0; i < batch.Count; i++)
        {
            logits.AsSpan(i * v, v).CopyTo(batch[i].Logits);
            batch[i].SampleNext();
        }
    }
}
