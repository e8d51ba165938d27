// The per-block statement of attention kind and memory (DeepSeekV4.MemoryPlan): it follows
// compress_ratios through the one named rule, layers and sequence memory are built from it, and a
// memory refuses what its plan does not state.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Tests.Golden;

namespace SharpSeek.Model.Tests;

public sealed class MemoryPlanTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData(0, AttentionKind.Window)]
    [InlineData(4, AttentionKind.Indexed)]
    [InlineData(16, AttentionKind.Compressed)]
    [InlineData(128, AttentionKind.Compressed)]
    public void KindFollowsTheOneRule(int ratio, AttentionKind kind) => Assert.Equal(kind, ModelConfig.KindOfRatio(ratio));

    [Fact]
    public void TinyPlanStatesEachBlock()
    {
        var c = fx.Model.Config;   // compress_ratios [0, 4, 16, 4] + MTP [0]
        var plan = DeepSeekV4.MemoryPlan(c);
        Assert.Equal([AttentionKind.Window, AttentionKind.Indexed, AttentionKind.Compressed, AttentionKind.Indexed], plan.Layers.Select(p => p.Kind));
        Assert.Equal([0, 4, 16, 4], plan.Layers.Select(p => p.Ratio));
        Assert.Equal(Enumerable.Range(0, c.NumLayers), plan.Layers.Select(p => p.Block));
        var mtp = Assert.Single(plan.Mtp);
        Assert.Equal((c.NumLayers, AttentionKind.Window), (mtp.Block, mtp.Kind));
        // Indexed compressors overlap two blocks; the others pool one.
        Assert.Equal(2 * c.HeadDim, plan.Layers[1].CompressorWidth);
        Assert.Equal(c.HeadDim, plan.Layers[2].CompressorWidth);
        Assert.True(plan.Layers[1].HasIndexKeys && !plan.Layers[2].HasIndexKeys && !plan.Layers[0].HasCompressed);
        // The network's layers are built from the same statement.
        Assert.Equal(plan.Layers.Select(p => p.Kind), fx.Model.F64.Layers.Select(b => b.Attn.Kind));
    }

    [Fact]
    public void SequenceStateIsBuiltFromThePlan()
    {
        var c = fx.Model.Config;
        var a = new SequenceState<float>(c, maxRollback: 8);
        var b = new SequenceState<float>(DeepSeekV4.MemoryPlan(c), maxRollback: 8);
        Assert.Equal(a.BytesAllocated, b.BytesAllocated);
        Assert.Same(a.Layers[2], a.Memory(2));
        Assert.Same(a.Mtp[0], a.Memory(c.NumLayers));
        // A window row: nope FP8 codes, one exponent per 64 of them, the rope part in float.
        Assert.Equal(c.NopeHeadDim + c.NopeHeadDim / 64 + 4 * c.RopeHeadDim, a.Layers[0].WindowRowBytes);
        Assert.Equal(c.IndexHeadDim / 2 + c.IndexHeadDim / 32, a.Layers[1].IndexKeyBytes);
    }

    [Fact]
    public void MemoryRefusesWhatItsPlanDoesNotState()
    {
        var st = new SequenceState<double>(fx.Model.Config);
        IAttentionMemory<double> window = st.Memory(0), compressed = st.Memory(2);
        var row = new double[fx.Model.Config.HeadDim];
        Assert.Throws<InvalidOperationException>(() => window.AppendCompressed(0, row));
        Assert.Throws<InvalidOperationException>(() => _ = window.CompressorRows);
        Assert.Throws<InvalidOperationException>(() => compressed.AppendIndexKey(0, row));
        window.GatherCompressed([], row);   // nothing chosen: nothing to refuse
    }
}
