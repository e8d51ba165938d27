// SequenceState.Clone (prefix reuse): a clone and its original fed the same ids give bit-identical
// logits and do not disturb each other; a clone rolls back within the same slack as its original
// (entries past its length but under the high-water mark included) and then equals a fresh prefill.
using System.Numerics;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.State;
using SharpSeek.Model.Tests.Golden;

namespace SharpSeek.Model.Tests;

public sealed class CloneTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    private int[] Ids => fx.Model.Cases.I("case4.prefill_ids")[..70];

    private static T[] Feed<T>(DeepSeekV4<T> m, ReadOnlySpan<int> ids, SequenceState<T> st, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var logits = new T[ids.Length * m.VocabSize];
        for (int s = 0; s < ids.Length; s += chunk)
        {
            int n = Math.Min(chunk, ids.Length - s);
            m.Forward(ids.Slice(s, n), st, logits.AsSpan(s * m.VocabSize, n * m.VocabSize));
        }
        return logits;
    }

    private double[] OneShotTail(int from)
    {
        var m = fx.Model.F64;
        var all = Feed(m, Ids, new SequenceState<double>(m.Config), Ids.Length);
        return all.AsSpan(from * m.VocabSize).ToArray();
    }

    private void CloneContinuesLikeOriginal<T>(DeepSeekV4<T> m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] ids = Ids;
        var original = new SequenceState<T>(m.Config);
        Feed(m, ids.AsSpan(0, 41), original, 41);
        var clone = original.Clone();
        Assert.Equal(original.Length, clone.Length);
        // Interleave: the clone's writes must not reach the original's memory, nor the reverse.
        var a = new T[29 * m.VocabSize];
        var b = new T[29 * m.VocabSize];
        for (int s = 41; s < 70; s += 3)
        {
            int n = Math.Min(3, 70 - s);
            int o = (s - 41) * m.VocabSize;
            m.Forward(ids.AsSpan(s, n), clone, b.AsSpan(o, n * m.VocabSize));
            m.Forward(ids.AsSpan(s, n), original, a.AsSpan(o, n * m.VocabSize));
        }
        Assert.Equal(a, b);
    }

    [Fact]
    public void CloneAndOriginalGiveBitIdenticalLogitsFloat64()
    {
        CloneContinuesLikeOriginal(fx.Model.F64);
        Assert.Equal(OneShotTail(41), ContinueClone(41));
    }

    [Fact]
    public void CloneAndOriginalGiveBitIdenticalLogitsFloat32() => CloneContinuesLikeOriginal(fx.Model.F32);

    private double[] ContinueClone(int prefix)
    {
        var m = fx.Model.F64;
        var st = new SequenceState<double>(m.Config);
        Feed(m, Ids.AsSpan(0, prefix), st, prefix);
        return Feed(m, Ids.AsSpan(prefix), st.Clone(), 1);
    }

    [Fact]
    public void CloneSharesNoMemoryWithItsOriginal()
    {
        // Original fed the true ids, the clone other ids at the same positions, alternately: any shared
        // ring slot, entry or partial block would leak the clone's rows into the original's attention.
        var m = fx.Model.F64;
        int[] ids = Ids;
        var original = new SequenceState<double>(m.Config);
        Feed(m, ids.AsSpan(0, 41), original, 41);
        var clone = original.Clone();
        var tail = new double[29 * m.VocabSize];
        for (int s = 41; s < 70; s += 3)
        {
            int n = Math.Min(3, 70 - s);
            m.Forward(ids.AsSpan(s, n), original, tail.AsSpan((s - 41) * m.VocabSize, n * m.VocabSize));
            Feed(m, ids.AsSpan(s, n).ToArray().Select(id => (id * 7 + 3) % m.VocabSize).ToArray(), clone, n);
        }
        Assert.Equal(OneShotTail(41), tail);
    }

    [Theory]
    [InlineData(60, 52)]   // across two ratio-4 entries and the ratio-16 block boundary at 48..64
    [InlineData(60, 45)]   // the full slack of 16 minus one
    public void TruncatedCloneEqualsFreshPrefill(int prefix, int back)
    {
        var m = fx.Model.F64;
        int[] ids = Ids;
        var original = new SequenceState<double>(m.Config, maxRollback: 16);
        Feed(m, ids.AsSpan(0, prefix), original, 7);
        var clone = original.Clone();
        clone.Truncate(back);
        Assert.Equal(back, clone.Length);
        Assert.Equal(prefix, original.Length);
        var tail = Feed(m, ids.AsSpan(back), clone, 4);
        Assert.Equal(OneShotTail(back), tail);
        // The original is untouched by the clone's rollback and refeed.
        Assert.Equal(OneShotTail(prefix), Feed(m, ids.AsSpan(prefix), original, 5));
    }

    [Fact]
    public void CloneKeepsWhatARollbackMayReexpose()
    {
        // 60 true ids, 4 wrong ones, back to 60: the high-water mark (64) is above the length. The clone
        // must keep entries up to 64 so that it can roll back exactly as far as its original could.
        var m = fx.Model.F64;
        int[] ids = Ids;
        var st = new SequenceState<double>(m.Config, maxRollback: 16);
        Feed(m, ids.AsSpan(0, 60), st, 60);
        Feed(m, [5, 6, 7, 8], st, 4);
        st.Truncate(60);
        var clone = st.Clone();
        Assert.Equal(st.HighWater, clone.HighWater);
        Assert.Throws<InvalidOperationException>(() => clone.Truncate(47));   // 64 - 47 > 16, as for the original
        clone.Truncate(50);
        Assert.Equal(OneShotTail(50), Feed(m, ids.AsSpan(50), clone, 3));
    }
}
