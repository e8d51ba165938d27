// Logits only for the rows asked for, on the tiny golden V4 checkpoint: ForwardLast and logitRows give
// bit-identically the last rows of a full Forward, also across V4LanguageModel's internal chunks
// (a prompt longer than MaxChunk), and leave the memory (main and MTP) exactly as a full Forward does.
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Tests;

public sealed class LogitRowsTinyTests(TinyCheckpoint tiny) : IClassFixture<TinyCheckpoint>
{
    private int[] Ids(int seed, int n)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(tiny.Model.VocabSize)).ToArray();
    }

    [Theory]
    [InlineData(37, false)]
    [InlineData(V4LanguageModel.MaxChunk + 90, false)]
    [InlineData(V4LanguageModel.MaxChunk + 90, true)]
    public void LastRowsEqualTheFullForward(int n, bool draft)
    {
        V4LanguageModel m = tiny.Model;
        int v = m.VocabSize;
        int[] prompt = Ids(5, n), next = Ids(6, 3);
        using ISequence full = m.CreateSequence(16, draft), last = m.CreateSequence(16, draft), some = m.CreateSequence(16, draft);
        float[] all = new float[n * v], one = new float[v], three = new float[3 * v];
        m.Forward(full, prompt, all);
        m.ForwardLast(last, prompt, one);
        m.Forward(some, prompt, three, logitRows: 3);
        Assert.True(one.AsSpan().SequenceEqual(all.AsSpan((n - 1) * v)), "ForwardLast differs from the last row");
        Assert.True(three.AsSpan().SequenceEqual(all.AsSpan((n - 3) * v)), "logitRows: 3 differs from the last three rows");
        // The memory is the same: the next tokens give the same logits (and drafts) on every sequence.
        float[] a = new float[3 * v], b = new float[3 * v], c = new float[3 * v];
        m.Forward(full, next, a);
        m.Forward(last, next, b);
        m.Forward(some, next, c);
        Assert.True(a.AsSpan().SequenceEqual(b) && a.AsSpan().SequenceEqual(c), "memory differs after a last-rows forward");
        if (draft)
        {
            float[] d1 = new float[v], d2 = new float[v];
            m.ForwardDraft(full, 7, d1);
            m.ForwardDraft(last, 7, d2);
            Assert.True(d1.AsSpan().SequenceEqual(d2), "draft-head memory differs after a last-rows forward");
        }
    }

    [Fact]
    public void ZeroRowsOnlyAdvancesTheMemory()
    {
        V4LanguageModel m = tiny.Model;
        int[] prompt = Ids(7, 20);
        using ISequence s = m.CreateSequence();
        m.Forward(s, prompt, Span<float>.Empty, logitRows: 0);
        Assert.Equal(20, s.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Forward(s, prompt, new float[m.VocabSize], logitRows: 21));
    }
}
