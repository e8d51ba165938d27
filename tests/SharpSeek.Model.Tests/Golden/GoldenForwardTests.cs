// Golden equality against DeepSeek's official reference (tests/fixtures/v4-tiny): the float64
// evaluation of the engine on every case, the float32 path on the cases marked robust.
namespace SharpSeek.Model.Tests.Golden;

public sealed class GoldenForwardTests(TinyModelFixture fx) : IClassFixture<TinyModelFixture>
{
    [Theory]
    [InlineData("case1")]
    [InlineData("case2")]
    [InlineData("case3")]
    [InlineData("case4")]
    [InlineData("case5")]
    public void Float64MatchesReference(string c)
    {
        var run = GoldenRun<double>.Execute(fx.Model.F64, fx.Model.Cases, c);
        var cmp = new GoldenCompare<double>(fx.Model.Cases, c, run, "_f64", 1e-6, 1e-6, rowRmsTolerance: false);
        cmp.All(fx.Model.Config.NumLayers);
        Assert.True(cmp.Failures.Count == 0, cmp.Report());
    }

    [Theory]
    [InlineData("case1")]
    [InlineData("case2")]
    [InlineData("case3")]
    public void ActivationQuantFloat64MatchesReference(string c)
    {
        var run = GoldenRun<double>.Execute(fx.Model.F64Aq, fx.Model.Cases, c);
        var cmp = new GoldenCompare<double>(fx.Model.Cases, c, run, "_aq_f64", 1e-6, 1e-6, rowRmsTolerance: false);
        cmp.All(fx.Model.Config.NumLayers);
        Assert.True(cmp.Failures.Count == 0, cmp.Report());
    }

    [Fact]
    public void ActivationQuantFloat32MatchesReferenceOnTheRobustCase()
    {
        var run = GoldenRun<float>.Execute(fx.Model.F32Aq, fx.Model.Cases, "case1");
        var cmp = new GoldenCompare<float>(fx.Model.Cases, "case1", run, "_aq", 1e-3, 0, rowRmsTolerance: false);
        cmp.All(fx.Model.Config.NumLayers);
        Assert.True(cmp.Failures.Count == 0, cmp.Report());
    }

    [Theory]
    [InlineData("case1")]
    [InlineData("case3")]
    [InlineData("case4")]
    [InlineData("case5")]
    public void Float32MatchesReferenceOnRobustCases(string c)
    {
        var run = GoldenRun<float>.Execute(fx.Model.F32, fx.Model.Cases, c);
        var cmp = new GoldenCompare<float>(fx.Model.Cases, c, run, "", 1e-3, 0, rowRmsTolerance: false);
        cmp.All(fx.Model.Config.NumLayers);
        Assert.True(cmp.Failures.Count == 0, cmp.Report());
    }
}

public sealed class TinyModelFixture : IDisposable
{
    public TinyModel Model { get; } = new();
    public void Dispose() => Model.Dispose();
}
