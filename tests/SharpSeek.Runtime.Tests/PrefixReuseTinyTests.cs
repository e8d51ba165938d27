// Prefix reuse on the real V4 network (the tiny golden checkpoint: window 16, ratio-4 indexed and
// ratio-16 compressed layers, MTP): a forked memory continues bit-identically to a cold prefill,
// and the engine's cached requests give exactly the logprobs and tokens of a cold engine.
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Tests;

public sealed class PrefixReuseTinyTests(TinyCheckpoint tiny) : IClassFixture<TinyCheckpoint>
{
    private int[] Ids(int seed, int n)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(tiny.Model.VocabSize)).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AForkContinuesExactlyLikeAColdPrefill(bool draft)
    {
        V4LanguageModel m = tiny.Model;
        int v = m.VocabSize;
        int[] prefix = Ids(1, 203), rest = Ids(2, 37);
        using ISequence seq = m.CreateSequence(16, draft);
        m.Forward(seq, prefix, new float[prefix.Length * v]);
        using ISequence fork = seq.Fork();
        float[] warm = new float[rest.Length * v];
        m.Forward(fork, rest, warm);
        using ISequence cold = m.CreateSequence(16, draft);
        float[] all = new float[(prefix.Length + rest.Length) * v];
        m.Forward(cold, [.. prefix, .. rest], all);
        Assert.True(warm.AsSpan().SequenceEqual(all.AsSpan(prefix.Length * v)), "forked logits differ from a cold prefill");
        // The original is untouched by the fork's progress, and a fork rolled back within its slack is exact too.
        float[] again = new float[rest.Length * v];
        m.Forward(seq, rest, again);
        Assert.True(again.AsSpan().SequenceEqual(warm));
        using ISequence back = seq.Fork();
        back.Truncate(prefix.Length + 30);
        float[] tail = new float[7 * v];
        m.Forward(back, rest[30..], tail);
        Assert.True(tail.AsSpan().SequenceEqual(all.AsSpan((prefix.Length + 30) * v)));
        if (draft)
        {
            float[] d1 = new float[v], d2 = new float[v];
            m.ForwardDraft(fork, 3, d1);
            m.ForwardDraft(cold, 3, d2);
            Assert.True(d1.AsSpan().SequenceEqual(d2), "draft-head memory differs after a fork");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CachedRequestsGiveTheColdLogprobsAndTokens(bool speculative)
    {
        int[] system = Ids(3, 300);
        int[] turn1 = [.. system, .. Ids(4, 40)];
        var opts = new EngineOptions { PrefixCacheBytes = 64 << 20, PrefillChunk = 64 };
        using var warm = new InferenceEngine(tiny.Model, opts);
        GenerationRequest Req(int[] p) => new() { PromptIds = p, MaxNewTokens = 10, TopLogprobs = 5, Speculative = speculative, CachePoints = [system.Length] };
        List<GeneratedToken> Tokens(InferenceEngine e, int[] p, out GenerationResult r)
        {
            var list = new List<GeneratedToken>();
            SequenceHandle h = e.Submit(Req(p), default, t => list.Add(t));
            r = h.Completion.GetAwaiter().GetResult();
            return list;
        }
        Tokens(warm, turn1, out GenerationResult r1);
        int[] turn2 = [.. turn1, .. r1.Ids, .. Ids(5, 25)];
        int[] other = [.. system, .. Ids(6, 50)];
        var warm2 = Tokens(warm, turn2, out GenerationResult r2);
        var warm3 = Tokens(warm, other, out GenerationResult r3);
        Assert.Equal(turn1.Length + r1.Ids.Count - 1, r2.CachedPromptTokens);
        Assert.Equal(system.Length, r3.CachedPromptTokens);

        using var cold = new InferenceEngine(tiny.Model, opts with { PrefixCacheBytes = 0 });
        foreach (var (p, w) in new[] { (turn2, warm2), (other, warm3) })
        {
            var c = Tokens(cold, p, out GenerationResult rc);
            Assert.Equal(0, rc.CachedPromptTokens);
            Assert.Equal(c.Select(t => t.Id), w.Select(t => t.Id));
            for (int i = 0; i < c.Count; i++)
            {
                Assert.Equal(c[i].Logprob!.Logprob, w[i].Logprob!.Logprob);
                Assert.Equal(c[i].Logprob!.Top, w[i].Logprob!.Top);
            }
        }
        Assert.True(warm.Pool.IsEmpty);
    }
}
