// Speculative decoding against the mock: greedy output equals plain greedy for any draft quality,
// acceptance statistics, rollback exactness, and (sampling) the output distribution is the target
// distribution: the joint law of the first two tokens over many seeds equals the exact one.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;
using SharpSeek.Runtime.Speculative;

namespace SharpSeek.Runtime.Tests;

public sealed class SpeculativeMockTests
{
    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.6, 7)]
    [InlineData(1.0, 30)]
    [InlineData(0.3, 57)]
    public void GreedySpeculativeEqualsPlainGreedy(double agreement, int length)
    {
        int[] prompt = [5, 8, 13, 21];
        var plain = new Generator(new MockModel(draftAgreement: agreement)).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = length });
        var m = new MockModel(draftAgreement: agreement);
        var spec = new Generator(m).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = length, Speculative = true });
        Assert.Equal(plain.Ids, spec.Ids);
        Assert.Equal(plain.Finish, spec.Finish);
        Assert.NotNull(spec.Speculative);
        if (length > 2 && agreement == 1.0) Assert.Equal(1.0, spec.Speculative!.AcceptanceRate);
        if (length > 10 && agreement == 1.0) Assert.True(m.ForwardCalls < length, "accepted drafts should save model calls");
    }

    [Fact]
    public void GreedySpeculativeMatchesAtContextLimitAndWithPenalties()
    {
        int[] prompt = [1, 2, 3];
        var opts = SamplingOptions.Greedy with { RepetitionPenalty = 1.3f, FrequencyPenalty = 0.2f };
        var plain = new Generator(new MockModel(maxContext: 20)).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 50, Sampling = opts });
        var spec = new Generator(new MockModel(maxContext: 20, draftAgreement: 0.7)).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 50, Sampling = opts, Speculative = true });
        Assert.Equal(FinishReason.ContextLimit, plain.Finish);
        Assert.Equal(plain.Ids, spec.Ids);
        Assert.Equal(plain.Finish, spec.Finish);
    }

    /// <summary>Always proposes a token the main model will not choose (greedy).</summary>
    private sealed class WrongDraft(MockModel m) : IDraftSource
    {
        public void Draft(ISequence sequence, int nextId, Span<float> logits)
        {
            var context = new List<int>(((MockModel.MockSequence)sequence).Ids) { nextId };
            m.MainLogits(context, logits);
            int right = Softmax.ArgMax(logits);
            logits.Clear();
            logits[(right + 1) % logits.Length] = 100f;
        }
    }

    [Fact]
    public void ForcedWrongDraftRollsBackExactly()
    {
        var m = new MockModel();
        int[] prompt = [9, 9, 4];
        var plain = new Generator(m).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 25 });
        using var seq = m.CreateSequence(4, useDraftHead: true);
        var spec = new Generator(m).Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 25, DraftSource = new WrongDraft(m), Sequence = seq });
        Assert.Equal(plain.Ids, spec.Ids);
        Assert.Equal(24, spec.Speculative!.Drafted);
        Assert.Equal(0, spec.Speculative.Accepted);
        Assert.Equal([.. prompt, .. plain.Ids.Take(24)], ((MockModel.MockSequence)seq).Ids);
        Assert.Equal(seq.Length - 1, seq.DraftLength);
    }

    [Fact]
    public void SpeculativeSamplingKeepsTheTargetDistribution()
    {
        const int v = 4, runs = 20000;
        int[] prompt = [1, 2];
        var m = new MockModel(vocab: v, draftAgreement: 0.2) { Scale = 2.5f };
        var opts = new SamplingOptions { Temperature = 1f };
        var counts = new double[v, v];
        var g = new Generator(m);
        for (int s = 0; s < runs; s++)
        {
            var r = g.Generate(new GenerationRequest { PromptIds = prompt, MaxNewTokens = 2, Speculative = true, Sampling = opts with { Seed = (ulong)s } });
            counts[r.Ids[0], r.Ids[1]]++;
        }
        // Exact joint law P(t0) P(t1 | t0) from the mock's pure logits.
        float[] l = new float[v], p0 = new float[v], p1 = new float[v];
        m.MainLogits(prompt, l);
        Softmax.Compute(l, p0);
        double worst = 0;
        for (int a = 0; a < v; a++)
        {
            m.MainLogits([.. prompt, a], l);
            Softmax.Compute(l, p1);
            for (int b = 0; b < v; b++)
            {
                double expected = p0[a] * p1[b], observed = counts[a, b] / runs;
                double sigma = Math.Sqrt(expected * (1 - expected) / runs);
                worst = Math.Max(worst, Math.Abs(observed - expected) / Math.Max(sigma, 1e-4));
            }
        }
        Assert.True(worst < 4.5, $"largest deviation {worst:F2} sigma");
    }

    [Fact]
    public void PoolIsEmptyAfterSpeculativeCancellation()
    {
        var g = new Generator(new MockModel());
        using var cts = new CancellationTokenSource();
        var r = g.Generate(new GenerationRequest { PromptIds = [1, 2, 3], MaxNewTokens = 100, Speculative = true }, t => { if (t.Index == 6) cts.Cancel(); }, cts.Token);
        Assert.Equal(FinishReason.Cancelled, r.Finish);
        Assert.True(g.Pool.IsEmpty);
    }
}
