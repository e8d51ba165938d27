// Golden equality of the V4.1 engine with the official model.py + engram.py on the v41-tiny cases:
// the float64 engine against *_f64 (1e-6 + 1e-6 |ref|, integer tensors exact) on every text case, the
// float32 engine against the float32 run on the robust text case (logits 1e-3, discrete exact).
namespace SharpSeek.Model.Tests.V41;

public sealed class V41GoldenForwardTests(V41GoldenForwardTests.Shared tiny) : IClassFixture<V41GoldenForwardTests.Shared>
{
    public sealed class Shared : IDisposable
    {
        public V41Tiny Model { get; } = new();
        public void Dispose() => Model.Dispose();
    }

    [Fact]
    public void TinyTokenizerMapEqualsTheOfficialTokenMap()
    {
        long[] official = tiny.Model.Cases.L("engram.token_map");
        Assert.Equal(official.Select(v => (int)v).ToArray(), tiny.Model.TokenMap);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("image")]   // from the preprocessed patches: the engine's ViT and aligner fill the IMAGE slots
    public void Float64EngineEqualsReference(string name)
    {
        var run = new V41GoldenRun<double>(tiny.Model.F64, tiny.Model.Cases, name);
        var cmp = new V41GoldenCompare<double>(tiny.Model.Cases, name, run, tiny.Model.Config, "_f64", 1e-6, 1e-6);
        cmp.All();
        Assert.True(cmp.Ok, cmp.Report());
        Assert.True(cmp.Checked > 100, $"only {cmp.Checked} checks");
    }

    [Theory]
    [InlineData("short")]
    [InlineData("image")]
    public void Float32EngineEqualsReferenceOnTheRobustCases(string name)
    {
        // short and image are marked robust in float32 (README): logits within 1e-3, every discrete choice exact.
        var run = new V41GoldenRun<float>(tiny.Model.F32, tiny.Model.Cases, name);
        var cmp = new V41GoldenCompare<float>(tiny.Model.Cases, name, run, tiny.Model.Config, "", 1e-3, 0);
        cmp.All();
        Assert.True(cmp.Ok, cmp.Report());
        Assert.True(cmp.Checked > 100, $"only {cmp.Checked} checks");
    }
}
