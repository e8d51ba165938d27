// Invariants of the sequence memory: chunked prefill, decode and multi-token decode all equal a
// one-shot prefill; two sequences in one pool do not disturb each other; truncation is exact.
using SharpSeek.Model.State;
using SharpSeek.Model.Tests.Golden;

namespace SharpSeek.Model.Tests;

public sealed class InvariantTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    private int[] Ids => fx.Model.Cases.I("case4.prefill_ids")[..70];

    private double[] OneShot(int[] ids)
    {
        var m = fx.Model.F64;
        var st = new SequenceState<double>(m.Config);
        var logits = new double[ids.Length * m.VocabSize];
        m.Forward(ids, st, logits);
        return logits;
    }

    private double[] Chunked(int[] ids, int chunk, SequenceState<double>? st = null)
    {
        var m = fx.Model.F64;
        st ??= new SequenceState<double>(m.Config);
        var logits = new double[ids.Length * m.VocabSize];
        for (int s = 0; s < ids.Length; s += chunk)
        {
            int n = Math.Min(chunk, ids.Length - s);
            m.Forward(ids.AsSpan(s, n), st, logits.AsSpan(s * m.VocabSize, n * m.VocabSize));
        }
        return logits;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(33)]
    public void ChunkedPrefillEqualsOneShot(int chunk)
    {
        int[] ids = Ids;
        Assert.Equal(OneShot(ids), Chunked(ids, chunk));
    }

    [Fact]
    public void MultiTokenDecodeAfterPrefillEqualsOneShot()
    {
        // prefill 40, then verify-style chunks of 5 and 4, then single steps
        int[] ids = Ids;
        var m = fx.Model.F64;
        var st = new SequenceState<double>(m.Config);
        var logits = new double[ids.Length * m.VocabSize];
        int[] cuts = [40, 45, 49, 50, 51, 60, 70];
        int s = 0;
        foreach (int e in cuts) { m.Forward(ids.AsSpan(s, e - s), st, logits.AsSpan(s * m.VocabSize, (e - s) * m.VocabSize)); s = e; }
        Assert.Equal(OneShot(ids), logits);
    }

    [Fact]
    public void Float32ChunkedPrefillMatchesOneShotClosely()
    {
        int[] ids = Ids;
        var m = fx.Model.F32;
        var a = new float[ids.Length * m.VocabSize];
        m.Forward(ids, new SequenceState<float>(m.Config), a);
        var st = new SequenceState<float>(m.Config);
        var b = new float[ids.Length * m.VocabSize];
        for (int i = 0; i < ids.Length; i += 3)
        {
            int n = Math.Min(3, ids.Length - i);
            m.Forward(ids.AsSpan(i, n), st, b.AsSpan(i * m.VocabSize, n * m.VocabSize));
        }
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        Assert.True(max < 1e-4, $"max |d logit| {max}");
    }

    [Fact]
    public void TwoInterleavedSequencesDoNotDisturbEachOther()
    {
        var m = fx.Model.F64;
        int[] a = Ids, b = fx.Model.Cases.I("case5.prefill_ids");
        var sa = new SequenceState<double>(m.Config);
        var sb = new SequenceState<double>(m.Config);
        var la = new double[a.Length * m.VocabSize];
        var lb = new double[b.Length * m.VocabSize];
        int ia = 0, ib = 0;
        while (ia < a.Length || ib < b.Length)
        {
            if (ia < a.Length) { int n = Math.Min(5, a.Length - ia); m.Forward(a.AsSpan(ia, n), sa, la.AsSpan(ia * m.VocabSize, n * m.VocabSize)); ia += n; }
            if (ib < b.Length) { int n = Math.Min(3, b.Length - ib); m.Forward(b.AsSpan(ib, n), sb, lb.AsSpan(ib * m.VocabSize, n * m.VocabSize)); ib += n; }
        }
        Assert.Equal(OneShot(a), la);
        Assert.Equal(OneShot(b), lb);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    public void TruncateThenRefeedEqualsPlainRun(int rollback)
    {
        // Feed 60 tokens, then 'rollback' wrong ones, truncate them, then the true continuation.
        var m = fx.Model.F64;
        int[] ids = Ids;
        var st = new SequenceState<double>(m.Config, maxRollback: 16);
        var scratch = new double[20 * m.VocabSize];
        m.Forward(ids.AsSpan(0, 60), st, new double[60 * m.VocabSize]);
        int[] wrong = Enumerable.Range(0, rollback).Select(i => (ids[60 + (i % 10)] + 17 * i + 3) % m.VocabSize).ToArray();
        m.Forward(wrong, st, scratch);
        st.Truncate(60);
        var tail = new double[10 * m.VocabSize];
        m.Forward(ids.AsSpan(60, 10), st, tail);
        Assert.Equal(OneShot(ids).AsSpan(60 * m.VocabSize).ToArray(), tail);
    }

    [Fact]
    public void BatchOfSequencesEqualsSeparateRuns()
    {
        // Three sequences prefilled separately, then decoded together (one token each per call,
        // plus one step where a sequence contributes two tokens): equal to running each alone.
        var m = fx.Model.F64;
        int V = m.VocabSize;
        int[][] seqs = [Ids[..30], fx.Model.Cases.I("case5.prefill_ids")[..23], fx.Model.Cases.I("case2.prefill_ids")[..41]];
        int[][] cont = [[7, 8, 9, 10], [11, 12, 13, 14], [15, 16, 17, 18]];
        var states = seqs.Select(_ => new SequenceState<double>(m.Config)).ToArray();
        for (int i = 0; i < 3; i++) m.Forward(seqs[i], states[i], new double[seqs[i].Length * V]);
        var batched = new double[3][];
        for (int i = 0; i < 3; i++) batched[i] = new double[4 * V];
        for (int step = 0; step < 3; step++)
        {
            var logits = new double[3 * V];
            m.ForwardBatch([cont[0][step], cont[1][step], cont[2][step]], states, logits);
            for (int i = 0; i < 3; i++) logits.AsSpan(i * V, V).CopyTo(batched[i].AsSpan(step * V, V));
        }
        var two = new double[2 * V];
        m.ForwardBatch([cont[0][3], cont[1][3]], [states[0], states[1]], two);
        two.AsSpan(0, V).CopyTo(batched[0].AsSpan(3 * V, V));
        two.AsSpan(V, V).CopyTo(batched[1].AsSpan(3 * V, V));
        for (int i = 0; i < 2; i++)
        {
            double[] alone = OneShot([.. seqs[i], .. cont[i]]);
            Assert.Equal(alone.AsSpan(seqs[i].Length * V, 4 * V).ToArray(), batched[i]);
        }
        double[] third = OneShot([.. seqs[2], .. cont[2][..3]]);
        Assert.Equal(third.AsSpan(seqs[2].Length * V, 3 * V).ToArray(), batched[2].AsSpan(0, 3 * V).ToArray());
    }

    [Fact]
    public void RollbackIsMeasuredFromTheHighWaterMark()
    {
        // 60 tokens, 4 wrong ones, back to 60, 2 true ones, then back to 58: positions up to 64
        // were written, so 58 is 6 below the high-water mark (slack 4): refused, not silently wrong.
        var m = fx.Model.F64;
        int[] ids = Ids;
        var st = new SequenceState<double>(m.Config, maxRollback: 4);
        m.Forward(ids.AsSpan(0, 60), st, new double[60 * m.VocabSize]);
        m.Forward([1, 2, 3, 4], st, new double[4 * m.VocabSize]);
        st.Truncate(60);
        m.Forward(ids.AsSpan(60, 2), st, new double[2 * m.VocabSize]);
        Assert.Throws<InvalidOperationException>(() => st.Truncate(58));
        st.Truncate(61);   // within the slack of the high-water mark: still exact
        var tail = new double[9 * m.VocabSize];
        m.Forward(ids.AsSpan(61, 9), st, tail);
        Assert.Equal(OneShot(ids).AsSpan(61 * m.VocabSize).ToArray(), tail);
    }

    [Fact]
    public void RollbackBeyondSlackIsRefused()
    {
        var m = fx.Model.F64;
        var st = new SequenceState<double>(m.Config, maxRollback: 4);
        m.Forward(Ids.AsSpan(0, 20), st, new double[20 * m.VocabSize]);
        Assert.Throws<InvalidOperationException>(() => st.Truncate(15));
    }

    [Fact]
    public void IdOutsideVocabularyIsRejectedWithTheId()
    {
        var m = fx.Model.F32;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => m.Forward([5, 1024], new SequenceState<float>(m.Config), new float[2 * m.VocabSize]));
        Assert.Contains("1024", e.Message);
    }
}
