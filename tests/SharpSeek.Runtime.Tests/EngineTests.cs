// The one scheduler against the mock model: prefix reuse (hits, divergence points, next turns,
// exactness against a cold engine, the byte budget), forced tokens as a logit processor, logprobs,
// EOS streamed like any token, and speculative + plain requests in one batched call.
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Tests;

public sealed class EngineTests
{
    private static int[] Ids(int seed, int n)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(32)).ToArray();
    }

    private static GenerationResult Run(InferenceEngine e, GenerationRequest r) => e.Submit(r).Completion.GetAwaiter().GetResult();

    private static GenerationRequest Sampled(int[] prompt, ulong seed, bool speculative = false) => new()
    {
        PromptIds = prompt, MaxNewTokens = 12, Speculative = speculative,
        Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 10, Seed = seed },
    };

    [Fact]
    public void PrefixReuseGivesTheColdTokensAndCountsCachedTokens()
    {
        int[] a = Ids(1, 100);
        int[] b = [.. a[..80], .. Ids(2, 20)];
        int[] c = [.. a[..80], .. Ids(3, 25)];
        using var warm = new InferenceEngine(new MockModel(), new EngineOptions { PrefixCacheBytes = 1 << 20, PrefixMinTokens = 8 });
        var ra = Run(warm, Sampled(a, 7));
        Assert.Equal(0, ra.CachedPromptTokens);
        // b shares 80 ids with a's snapshot but cannot roll back 20: a miss that leaves a snapshot at 80.
        var rb = Run(warm, Sampled(b, 8));
        Assert.Equal(0, rb.CachedPromptTokens);
        var rc = Run(warm, Sampled(c, 9));
        Assert.Equal(80, rc.CachedPromptTokens);
        // The same prompt again: everything but the last id comes from the snapshot.
        var ra2 = Run(warm, Sampled(a, 7));
        Assert.Equal(99, ra2.CachedPromptTokens);
        // A next turn: the first prompt, its answer and more.
        int[] next = [.. a, .. ra.Ids, .. Ids(4, 10)];
        var rn = Run(warm, Sampled(next, 10));
        Assert.Equal(a.Length + ra.Ids.Count - 1, rn.CachedPromptTokens);  // the last generated id was never fed

        using var cold = new InferenceEngine(new MockModel());
        Assert.Equal(Run(cold, Sampled(c, 9)).Ids, rc.Ids);
        Assert.Equal(ra.Ids, ra2.Ids);
        Assert.Equal(Run(cold, Sampled(next, 10)).Ids, rn.Ids);
        Assert.True(warm.Pool.IsEmpty);
        Assert.Equal(80 + 99 + rn.CachedPromptTokens, warm.PromptTokensCached);
        Assert.Equal(100 + 100 + (105 - 80) + 1 + (next.Length - rn.CachedPromptTokens), warm.PromptTokensComputed);
    }

    [Fact]
    public void SpeculativeRequestsReuseDraftHeadMemoryExactly()
    {
        int[] a = Ids(5, 60);
        using var warm = new InferenceEngine(new MockModel(draftAgreement: 0.5), new EngineOptions { PrefixCacheBytes = 1 << 20, PrefixMinTokens = 8 });
        var first = Run(warm, new GenerationRequest { PromptIds = a, MaxNewTokens = 10, Speculative = true });
        int[] next = [.. a, .. first.Ids, .. Ids(6, 7)];
        var hit = Run(warm, new GenerationRequest { PromptIds = next, MaxNewTokens = 15, Speculative = true });
        Assert.True(hit.CachedPromptTokens > 60);
        // A plain request does not take a snapshot made with the draft head (and vice versa).
        var plain = Run(warm, new GenerationRequest { PromptIds = next, MaxNewTokens = 15 });
        Assert.Equal(0, plain.CachedPromptTokens);
        Assert.Equal(plain.Ids, hit.Ids);
    }

    [Fact]
    public void TheCacheStaysWithinItsBudgetEvictingTheLeastRecentlyUsed()
    {
        var m = new MockModel();
        long oneEntry = 1000 + 8L * 40;   // the mock's bytes for a 40-id sequence
        using var e = new InferenceEngine(m, new EngineOptions { PrefixCacheBytes = 3 * oneEntry, PrefixMinTokens = 8 });
        for (int i = 0; i < 6; i++) Run(e, new GenerationRequest { PromptIds = Ids(100 + i, 40), MaxNewTokens = 1 });
        Assert.True(e.Cache.BytesInUse <= 3 * oneEntry, $"{e.Cache.BytesInUse} bytes cached");
        Assert.True(e.Cache.Count >= 1);
        // The most recent prompt is still there, the first one is gone.
        Assert.Equal(39, Run(e, new GenerationRequest { PromptIds = Ids(105, 40), MaxNewTokens = 1 }).CachedPromptTokens);
        Assert.Equal(0, Run(e, new GenerationRequest { PromptIds = Ids(100, 40), MaxNewTokens = 1 }).CachedPromptTokens);
    }

    [Fact]
    public void ForcedTokensAreALogitProcessorAndSamplingResumesAfterThem()
    {
        var m = new MockModel();
        int[] prompt = Ids(11, 9);
        using var e = new InferenceEngine(m);
        var r = Run(e, new GenerationRequest { PromptIds = prompt, MaxNewTokens = 8, LogitProcessors = [new ForcedTokens([], [5, 6, 7])] });
        Assert.Equal([5, 6, 7], r.Ids.Take(3));
        var rest = Run(e, new GenerationRequest { PromptIds = [.. prompt, 5, 6, 7], MaxNewTokens = 5 });
        Assert.Equal(rest.Ids, r.Ids.Skip(3));
        // Triggered: forcing starts once the generated ids end with the trigger, and happens once.
        var free = Run(e, new GenerationRequest { PromptIds = prompt, MaxNewTokens = 12 });
        int[] trigger = [free.Ids[1], free.Ids[2]];
        var t = Run(e, new GenerationRequest { PromptIds = prompt, MaxNewTokens = 12, LogitProcessors = [new ForcedTokens(trigger, [9, 9])] });
        Assert.Equal(free.Ids.Take(3), t.Ids.Take(3));
        Assert.Equal([9, 9], t.Ids.Skip(3).Take(2));
        // Speculative verification sees the same forcing.
        var s = Run(e, new GenerationRequest { PromptIds = prompt, MaxNewTokens = 12, Speculative = true, LogitProcessors = [new ForcedTokens(trigger, [9, 9])] });
        Assert.Equal(t.Ids, s.Ids);
    }

    [Fact]
    public async Task LogprobsAreTheModelsLogSoftmaxAndEosIsStreamed()
    {
        var m0 = new MockModel();
        int[] prompt = Ids(12, 6);
        using var probe = new InferenceEngine(m0);
        int third = Run(probe, new GenerationRequest { PromptIds = prompt, MaxNewTokens = 3 }).Ids[2];
        var m = new MockModel(eos: [third]);
        using var e = new InferenceEngine(m);
        SequenceHandle h = e.Submit(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 30, TopLogprobs = 3 });
        var tokens = new List<GeneratedToken>();
        await foreach (GeneratedToken t in h.Tokens.ReadAllAsync()) tokens.Add(t);
        GenerationResult r = await h.Completion;
        Assert.Equal(FinishReason.Eos, r.Finish);
        Assert.Equal(third, tokens[^1].Id);
        Assert.Equal(r.Ids, tokens.Select(t => t.Id));
        float[] logits = new float[m.VocabSize];
        m.MainLogits(prompt, logits);
        double max = logits.Max(), logZ = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        TokenLogprob lp = tokens[0].Logprob!;
        Assert.Equal(logits[r.Ids[0]] - logZ, lp.Logprob, 4);
        Assert.Equal(3, lp.Top.Count);
        Assert.Equal(Softmax.ArgMax(logits), lp.Top[0].Id);
        Assert.True(lp.Top[0].Logprob >= lp.Top[1].Logprob && lp.Top[1].Logprob >= lp.Top[2].Logprob);
    }

    [Fact]
    public void SpeculativeAndPlainRequestsShareOneBatchedCallAndStayExact()
    {
        var m = new MockModel(draftAgreement: 0.7);
        var requests = new List<GenerationRequest>
        {
            Sampled(Ids(20, 7), 1, speculative: true), Sampled(Ids(21, 9), 2), new() { PromptIds = Ids(22, 5), MaxNewTokens = 14, Speculative = true },
            new() { PromptIds = Ids(23, 3), MaxNewTokens = 11 },
        };
        var batch = new Generator(m).GenerateBatch(requests);
        Assert.True(m.BatchCalls > 0);
        for (int i = 0; i < requests.Count; i++)
            Assert.Equal(new Generator(new MockModel(draftAgreement: 0.7)).Generate(requests[i]).Ids, batch[i].Ids);
    }

    [Fact]
    public void BadRequestsThrowAtSubmission()
    {
        using var e = new InferenceEngine(new MockModel(maxContext: 10));
        Assert.Throws<ArgumentException>(() => e.Submit(new GenerationRequest { PromptIds = Ids(1, 10) }));   // no room for one token
        Assert.Throws<ArgumentException>(() => e.Submit(new GenerationRequest { PromptIds = [1], TopLogprobs = 21 }));
        Assert.Throws<ArgumentException>(() => e.Submit(new GenerationRequest { PromptIds = [1], PrefillChunk = 0 }));
        Assert.Throws<ArgumentException>(() => e.Submit(new GenerationRequest { PromptIds = [1], Sampling = new SamplingOptions { TopP = 2 } }));
        Assert.Throws<ArgumentException>(() => new InferenceEngine(new MockModel(), new EngineOptions { MaxBatch = 0 }));
        Assert.Equal(FinishReason.MaxTokens, Run(e, new GenerationRequest { PromptIds = Ids(1, 9), MaxNewTokens = 1 }).Finish);
        Assert.True(e.Pool.IsEmpty);
    }

    // Holds the engine inside its first model call until released, so a test can queue requests behind it.
    private sealed class GatedModel(MockModel inner) : ILanguageModel
    {
        public readonly ManualResetEventSlim Entered = new(), Release = new();
        public int VocabSize => inner.VocabSize;
        public int MaxContext => inner.MaxContext;
        public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;
        public bool HasDraftHead => inner.HasDraftHead;
        public int TokensFed => inner.TokensFed;
        public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false) => inner.CreateSequence(maxRollback, useDraftHead);
        public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits) => inner.ForwardDraft(sequence, nextId, logits);
        public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
        {
            Entered.Set();
            Release.Wait();
            inner.Forward(sequence, ids, logits);
        }
    }

    [Fact]
    public void RequestsQueuedBehindOneWithTheSamePromptWaitForItsSnapshot()
    {
        int[] prompt = Ids(30, 120);
        var m = new GatedModel(new MockModel());
        using var e = new InferenceEngine(m, new EngineOptions { PrefixCacheBytes = 1 << 20, PrefixMinTokens = 8, PrefillChunk = 32 });
        var handles = new List<SequenceHandle> { e.Submit(Sampled(prompt, 0)) };
        Assert.True(m.Entered.Wait(10_000));
        // n choices of one prompt, and a request sharing its first 100 ids, queued while it prefills.
        handles.AddRange(Enumerable.Range(1, 3).Select(i => e.Submit(Sampled(prompt, (ulong)i))));
        handles.Add(e.Submit(Sampled([.. prompt[..100], .. Ids(31, 30)], 9)));
        m.Release.Set();
        GenerationResult[] results = handles.Select(h => h.Completion.GetAwaiter().GetResult()).ToArray();
        Assert.Equal(0, results[0].CachedPromptTokens);
        Assert.All(results[1..4], r => Assert.Equal(119, r.CachedPromptTokens));
        Assert.Equal(100, results[4].CachedPromptTokens);
        Assert.Equal(120 + 3 * 1 + 30, e.PromptTokensComputed);
        using var cold = new InferenceEngine(new MockModel());
        for (int i = 0; i < 4; i++) Assert.Equal(Run(cold, Sampled(prompt, (ulong)i)).Ids, results[i].Ids);
        Assert.Equal(Run(cold, Sampled([.. prompt[..100], .. Ids(31, 30)], 9)).Ids, results[4].Ids);
        Assert.True(e.Pool.IsEmpty);
    }
}
