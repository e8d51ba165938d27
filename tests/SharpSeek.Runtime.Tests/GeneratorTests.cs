// The decode loop against the mock model: every stop condition, streaming order, cancellation,
// batch = singles (same seeds), the batched-call hook, the pool back to empty, input errors.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Memory;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Tests;

public sealed class GeneratorTests
{
    private static readonly int[] Prompt = [3, 1, 4, 1, 5, 9, 2, 6];

    // The plain greedy chain computed directly from the mock's pure logits function.
    private static List<int> ReferenceGreedy(MockModel m, int[] prompt, int n)
    {
        var context = new List<int>(prompt);
        var output = new List<int>();
        float[] logits = new float[m.VocabSize];
        for (int i = 0; i < n; i++)
        {
            m.MainLogits(context, logits);
            int t = Softmax.ArgMax(logits);
            output.Add(t);
            context.Add(t);
        }
        return output;
    }

    [Fact]
    public void GreedyEqualsReferenceChainAndStreamsInOrder()
    {
        var m = new MockModel();
        var g = new Generator(m);
        var streamed = new List<int>();
        var r = g.Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 20 }, t => { Assert.Equal(streamed.Count, t.Index); streamed.Add(t.Id); });
        Assert.Equal(ReferenceGreedy(m, Prompt, 20), r.Ids);
        Assert.Equal(r.Ids, streamed);
        Assert.Equal(FinishReason.MaxTokens, r.Finish);
        Assert.Equal(Prompt.Length, r.PromptTokens);
        Assert.True(g.Pool.IsEmpty);
    }

    [Fact]
    public void ChunkedPrefillGivesTheSameTokens()
    {
        var m = new MockModel();
        var a = new Generator(m).Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 10, PrefillChunk = 3 });
        var b = new Generator(m).Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 10 });
        Assert.Equal(b.Ids, a.Ids);
    }

    [Fact]
    public void StopsAtEosIncludingIt()
    {
        var m0 = new MockModel();
        var chain = ReferenceGreedy(m0, Prompt, 30);
        int eos = chain[6];
        int first = chain.IndexOf(eos);
        var m = new MockModel(eos: [eos]);
        var r = new Generator(m).Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 30 });
        Assert.Equal(FinishReason.Eos, r.Finish);
        Assert.Equal(chain.Take(first + 1), r.Ids);
        // An explicit EOS list replaces the model's.
        var r2 = new Generator(m).Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 30, EosTokenIds = [] });
        Assert.Equal(FinishReason.MaxTokens, r2.Finish);
    }

    private sealed class StopAfter(int n) : IStopCondition
    {
        public int Seen;
        public bool ShouldStop(int id) => ++Seen >= n;
    }

    [Fact]
    public void StopCheckerEndsGeneration()
    {
        var stop = new StopAfter(4);
        var r = new Generator(new MockModel()).Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 30, StopCondition = stop });
        Assert.Equal(FinishReason.Stop, r.Finish);
        Assert.Equal(4, r.Ids.Count);
        Assert.Equal(4, stop.Seen);
    }

    [Fact]
    public void ContextLimitEndsWhenPromptPlusGeneratedReachTheContext()
    {
        var m = new MockModel(maxContext: 12);
        var r = new Generator(m).Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 30 });
        Assert.Equal(FinishReason.ContextLimit, r.Finish);
        Assert.Equal(12 - Prompt.Length, r.Ids.Count);  // ContextRule: prompt + generated <= MaxContext
        Assert.Equal(ReferenceGreedy(m, Prompt, r.Ids.Count), r.Ids);
        var ex = Assert.Throws<ArgumentException>(() => new Generator(new MockModel(maxContext: 5)).Generate(new GenerationRequest { PromptIds = Prompt }));
        Assert.Contains("context", ex.Message);
    }

    [Fact]
    public void BadRequestsAreRejectedAndThePoolStaysEmpty()
    {
        var g = new Generator(new MockModel(hasDraft: false));
        Assert.Throws<ArgumentException>(() => g.Generate(new GenerationRequest { PromptIds = [] }));
        Assert.Throws<ArgumentException>(() => g.Generate(new GenerationRequest { PromptIds = [99] }));
        Assert.Throws<ArgumentException>(() => g.Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 0 }));
        Assert.Throws<ArgumentException>(() => g.Generate(new GenerationRequest { PromptIds = Prompt, Speculative = true }));
        Assert.True(g.Pool.IsEmpty);
    }

    [Fact]
    public void CancellationStopsAndFreesMemory()
    {
        var g = new Generator(new MockModel());
        using var cts = new CancellationTokenSource();
        var r = g.Generate(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 100 }, t => { if (t.Index == 4) cts.Cancel(); }, cts.Token);
        Assert.Equal(FinishReason.Cancelled, r.Finish);
        Assert.Equal(5, r.Ids.Count);
        Assert.True(g.Pool.IsEmpty);
        Assert.Equal(0, g.Pool.BytesInUse);
        var pre = g.Generate(new GenerationRequest { PromptIds = Prompt }, null, new CancellationToken(true));
        Assert.Equal(FinishReason.Cancelled, pre.Finish);
        Assert.Empty(pre.Ids);
    }

    private static GenerationRequest Sampled(ulong seed, int[] prompt, bool speculative = false) => new()
    {
        PromptIds = prompt,
        MaxNewTokens = 12 + (int)(seed % 5),
        Speculative = speculative,
        Sampling = new SamplingOptions { Temperature = 0.9f, TopP = 0.95, TopK = 20, RepetitionPenalty = 1.1f, Seed = seed },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchEqualsSeparateRuns(bool speculative)
    {
        int[][] prompts = [Prompt, [7, 7, 7], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [30]];
        var requests = prompts.Select((p, i) => Sampled((ulong)(100 + i), p, speculative)).ToList();
        var m = new MockModel();
        var batch = new Generator(m).GenerateBatch(requests);
        for (int i = 0; i < requests.Count; i++)
        {
            var single = new Generator(new MockModel()).Generate(requests[i]);
            Assert.Equal(single.Ids, batch[i].Ids);
            Assert.Equal(single.Finish, batch[i].Finish);
        }
        if (!speculative) Assert.True(m.BatchCalls > 0, "plain steps should go through the batched call");
    }

    [Fact]
    public void BatchOfGreedyAndSampledMixed()
    {
        var m = new MockModel();
        var requests = new List<GenerationRequest> { new() { PromptIds = Prompt, MaxNewTokens = 9 }, Sampled(5, [2, 4]), new() { PromptIds = [1], MaxNewTokens = 3, Speculative = true } };
        var batch = new Generator(m).GenerateBatch(requests);
        Assert.Equal(ReferenceGreedy(m, Prompt, 9), batch[0].Ids);
        Assert.Equal(ReferenceGreedy(m, [1], 3), batch[2].Ids);
        Assert.Equal(new Generator(new MockModel()).Generate(requests[1]).Ids, batch[1].Ids);
    }

    [Fact]
    public async Task StreamAsyncYieldsTokensThenTheResult()
    {
        var g = new Generator(new MockModel());
        var tokens = new List<int>();
        GenerationResult? done = null;
        await foreach (var e in g.StreamAsync(new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 7 }))
        {
            if (e.Token is { } t) { Assert.Null(done); tokens.Add(t.Id); }
            if (e.Completed is { } c) done = c;
        }
        Assert.NotNull(done);
        Assert.Equal(done!.Ids, tokens);
        Assert.True(g.Pool.IsEmpty);
    }

    [Fact]
    public void ContinuingAnExistingSequenceEqualsOneLongPrompt()
    {
        var m = new MockModel();
        var pool = new MemoryPool(m);
        using var lease = pool.Rent();
        var g = new Generator(m, pool);
        var first = g.Generate(new GenerationRequest { PromptIds = Prompt[..5], MaxNewTokens = 1, Sequence = lease.Sequence });
        Assert.Equal(5, lease.Sequence.Length);
        // Continue: feed the sampled token and the rest; memory = Prompt[..5] + t + rest.
        int[] more = [first.Ids[0], .. Prompt[5..]];
        var cont = g.Generate(new GenerationRequest { PromptIds = more, MaxNewTokens = 6, Sequence = lease.Sequence });
        int[] whole = [.. Prompt[..5], .. more];
        Assert.Equal(ReferenceGreedy(m, whole, 6), cont.Ids);
        Assert.Equal(1, pool.LiveSequences);
        Assert.True(pool.BytesInUse > 0);
    }

    [Fact]
    public void PoolCountsAndLimits()
    {
        var m = new MockModel();
        var pool = new MemoryPool(m, maxSequences: 2);
        var a = pool.Rent();
        var b = pool.Rent();
        Assert.Throws<PoolExhaustedException>(() => pool.Rent());
        Assert.Equal(2, pool.LiveSequences);
        Assert.Equal(2000, pool.BytesInUse);
        a.Dispose(); a.Dispose();
        Assert.Equal(1, pool.LiveSequences);
        pool.Clear();
        Assert.True(pool.IsEmpty);
        Assert.True(((MockModel.MockSequence)b.Sequence).Disposed);
    }
}
