// ForwardBatch is the one forward path: taps recorded for a batch of sequences equal the taps of
// each sequence run alone (on clones of the same memory), bit for bit in float64.
using SharpSeek.Model.Layers;
using SharpSeek.Model.State;
using SharpSeek.Model.Tests.Golden;

namespace SharpSeek.Model.Tests;

public sealed class BatchTapsTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void BatchTapsEqualSingleRunTaps()
    {
        var m = fx.Model.F64;
        int V = m.VocabSize;
        int[] a = fx.Model.Cases.I("case4.prefill_ids")[..30], b = fx.Model.Cases.I("case5.prefill_ids")[..23];
        var sa = new SequenceState<double>(m.Config);
        var sb = new SequenceState<double>(m.Config);
        m.Forward(a, sa, new double[a.Length * V]);
        m.Forward(b, sb, new double[b.Length * V]);
        var (ca, cb) = (sa.Clone(), sb.Clone());

        // Batch: one token of each sequence (positions 30 and 23 do not collide in the recorder).
        var batchTaps = new TapRecorder<double>();
        var batchLogits = new double[2 * V];
        m.ForwardBatch([7, 11], [sa, sb], batchLogits, default, batchTaps);

        var aloneTaps = new TapRecorder<double>();
        var la = new double[V];
        var lb = new double[V];
        m.Forward([7], ca, la, default, aloneTaps);
        m.Forward([11], cb, lb, default, aloneTaps);

        Assert.Equal([.. la, .. lb], batchLogits);
        int checkedRows = 0;
        for (int layer = 0; layer < m.Layers.Length; layer++)
            foreach (string name in new[] { "attn_kv", "attn_q", "attn_o", "attn_out", "hidden", "hc_attn_post" })
                foreach (long pos in new long[] { 30, 23 })
                {
                    Assert.True(aloneTaps.TryGet(layer, name, pos, out double[] want), $"no single-run tap {name} of layer {layer} at {pos}");
                    Assert.True(batchTaps.TryGet(layer, name, pos, out double[] got), $"no batch tap {name} of layer {layer} at {pos}");
                    Assert.Equal(want, got);
                    checkedRows++;
                }
        Assert.Equal(m.Layers.Length * 6 * 2, checkedRows);
    }
}
