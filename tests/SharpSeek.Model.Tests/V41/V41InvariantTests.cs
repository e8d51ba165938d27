// Invariants of the V4.1 engine on the golden checkpoint (float64): chunked prefill equals one-shot
// prefill, a batch of sequences equals each alone, and rollback is exact across the shared
// compressed KV, the index keys (and which owner published them) and the Engram history.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.State.V41;

namespace SharpSeek.Model.Tests.V41;

public sealed class V41InvariantTests(V41GoldenForwardTests.Shared tiny) : IClassFixture<V41GoldenForwardTests.Shared>
{
    private DeepSeekV41<double> Model => tiny.Model.F64;
    private int V => Model.VocabSize;

    private int[] Tokens(string c, int n) => tiny.Model.Cases.L($"{c}.prefill_tokens").Concat(tiny.Model.Cases.L($"{c}.decode_tokens")).Take(n).Select(v => (int)v).ToArray();

    private double[] Feed(V41SequenceState<double> state, int[] ids, int chunk)
    {
        var logits = new double[ids.Length * V];
        for (int at = 0; at < ids.Length; at += chunk)
        {
            int n = Math.Min(chunk, ids.Length - at);
            Model.Forward(ids.AsSpan(at, n), state, logits.AsSpan(at * V, n * V));
        }
        return logits;
    }

    private static void Same(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (Math.Abs(expected[i] - actual[i]) > 1e-9 * (1 + Math.Abs(expected[i])))
                Assert.Fail($"{what}: value {i} (token {i / 4096}) differs: {expected[i]:R} vs {actual[i]:R}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void ChunkedPrefillEqualsOneShot(int chunk)
    {
        int[] ids = Tokens("long", 42);   // no one-token tail chunk (see the next test)
        double[] oneShot = Feed(Model.NewState(), ids, ids.Length);
        Same(oneShot, Feed(Model.NewState(), ids, chunk), $"chunks of {chunk}");
    }

    [Fact]
    public void OneTokenChunksFollowTheOfficialDecodeNotThePrefill()
    {
        // The official decode step reads the index keys of the owner that published last; a ratio-2
        // owner publishes only when a group completes, so one-token feeding differs from one-shot
        // prefill on exactly those steps, and equals the golden decode (V41GoldenForwardTests).
        int[] ids = Tokens("short", 30);
        var state = Model.NewState();
        double[] oneShot = Feed(Model.NewState(), ids, ids.Length);
        double[] prefill = Feed(state, ids[..24], 24);
        double[] steps = Feed(state, ids[24..], 1);
        Same(oneShot.AsSpan(0, 24 * V), prefill, "prefill part");
        // position 24 completes no ratio-2 group: layer 1 reads layer 3's keys there and the logits move
        double diff = 0;
        for (int i = 0; i < V; i++) diff = Math.Max(diff, Math.Abs(oneShot[24 * V + i] - steps[i]));
        Assert.True(diff > 1e-6, $"one-token step at 24 equals one-shot prefill (max |d| {diff:E2}); the stale-slot rule did not apply");
        Assert.Equal(3, state.IndexKeyPublisher);
    }

    [Fact]
    public void BatchEqualsSingles()
    {
        int[] a = Tokens("short", 26), b = Tokens("long", 19);
        double[] la = Feed(Model.NewState(), a, a.Length), lb = Feed(Model.NewState(), b, b.Length);
        // one call: a's tokens and b's tokens interleaved
        var sa = Model.NewState();
        var sb = Model.NewState();
        var ids = new List<int>();
        var states = new List<V41SequenceState<double>>();
        var rowOf = new List<(char Seq, int Index)>();
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            if (i < a.Length) { ids.Add(a[i]); states.Add(sa); rowOf.Add(('a', i)); }
            if (i < b.Length) { ids.Add(b[i]); states.Add(sb); rowOf.Add(('b', i)); }
        }
        var logits = new double[ids.Count * V];
        Model.ForwardBatch(ids.ToArray(), states, logits);
        for (int r = 0; r < rowOf.Count; r++)
        {
            var (seq, i) = rowOf[r];
            Same((seq == 'a' ? la : lb).AsSpan(i * V, V), logits.AsSpan(r * V, V), $"batch row {r} ({seq}[{i}])");
        }
    }

    [Theory]
    [InlineData(24)]
    [InlineData(26)]
    [InlineData(27)]
    public void RollbackIsExact(int keep)
    {
        int[] ids = Tokens("short", 32);
        // reference: prefill 24, then one token at a time
        var fresh = Model.NewState();
        Feed(fresh, ids[..24], 24);
        double[] want = Feed(fresh, ids[24..], 1);
        // the same, a detour of other tokens rolled back, then the rest
        var state = Model.NewState();
        Feed(state, ids[..24], 24);
        Feed(state, ids[24..keep], 1);
        Feed(state, Tokens("long", 9), 1);
        Feed(state, [5, 6, 7], 3);
        state.Rollback(keep);
        Assert.Equal(keep, state.Length);
        double[] got = Feed(state, ids[keep..], 1);
        Same(want.AsSpan((keep - 24) * V), got, $"after rollback to {keep}");
    }

    [Fact]
    public void BoundedRollbackForgetsOldWindowRowsAndStaysExact()
    {
        int[] ids = Tokens("long", 60);
        var fresh = Model.NewState();
        Feed(fresh, ids[..40], 40);
        double[] want = Feed(fresh, ids[40..], 1);
        var state = Model.NewState(maxRollback: 4);
        Feed(state, ids[..40], 40);
        Feed(state, ids[40..44], 1);
        Assert.True(state.Window[0].First >= 44 - 4 - 8, $"window rows from {state.Window[0].First} are still held");
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Rollback(39));
        state.Rollback(40);
        Same(want, Feed(state, ids[40..], 1), "after a 4-token rollback");
    }
}
