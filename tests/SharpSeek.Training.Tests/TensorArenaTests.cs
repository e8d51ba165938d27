// The step arena hands out zeroed buffers, reuses them after Release, and does not grow without bound
// when shapes change from step to step.
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Tests;

public sealed class TensorArenaTests
{
    [Fact]
    public void ReusedBuffersAreZeroedAndOnlyUnderAnActiveArena()
    {
        var arena = new TensorArena();
        Tensor a;
        using (arena.Activate())
        {
            a = Tensor.Zeros(3, 4, requiresGrad: true);
            a.Data.AsSpan().Fill(7f); a.G.AsSpan().Fill(9f);
        }
        Assert.Null(TensorArena.Current);
        Assert.NotSame(a.Data, Tensor.Zeros(3, 4, false).Data);   // no arena: a fresh array
        arena.Release();
        using (arena.Activate())
        {
            Tensor b = Tensor.Zeros(4, 3, requiresGrad: true);
            Assert.True(ReferenceEquals(b.Data, a.Data) || ReferenceEquals(b.Data, a.G));
            Assert.All(b.Data, v => Assert.Equal(0f, v));
            Assert.All(b.G, v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void SizesNoStepAsksForAreForgotten()
    {
        var arena = new TensorArena();
        for (int step = 0; step < 50; step++)
        {
            using (arena.Activate()) { Tensor.Zeros(100, 8, true); Tensor.Zeros(1 + step, 8, false); }   // one fixed, one varying shape
            arena.Release();
        }
        Assert.True(arena.PooledFloats <= 2 * 800 + 5 * 8 * 50, $"pool holds {arena.PooledFloats} floats");
    }
}
