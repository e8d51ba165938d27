// The vision tower and aligner against the official vision.py on the v41-tiny image case: the golden
// preprocessed patches in, ViT output and aligner rows out (float64 engine vs *_f64 within 1e-6 + 1e-6 |ref|;
// float32 engine vs the float32 run within 1e-4), and the whole image case run from patches, not stored rows.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41.Vision;

namespace SharpSeek.Model.Tests.V41;

public sealed class VisionGoldenTests(V41GoldenForwardTests.Shared tiny) : IClassFixture<V41GoldenForwardTests.Shared>
{
    private V41Cases Cases => tiny.Model.Cases;

    private PatchGrid Grid()
    {
        long[] g = Cases.L("image.image.grid");
        return new PatchGrid((int)g[0], (int)g[1]);
    }

    private static void Close(string what, double[] exp, ReadOnlySpan<double> got, double abs, double rel)
    {
        Assert.Equal(exp.Length, got.Length);
        for (int i = 0; i < exp.Length; i++)
            Assert.True(Math.Abs(got[i] - exp[i]) <= abs + rel * Math.Abs(exp[i]), $"{what}[{i}]: engine {got[i]:R}, reference {exp[i]:R}");
    }

    [Fact]
    public void GridIsTheAlignerGridOfThePatchGrid()
    {
        long[] g = Cases.L("image.image.grid");
        var (h, w) = VisionAligner<double>.LlmGrid(Grid(), tiny.Model.Config.Vision.DownsampleRatio);
        Assert.Equal((g[2], g[3]), ((long)h, (long)w));
    }

    [Fact]
    public void Float64TowerAndAlignerEqualReference()
    {
        double[] patches = Cases.D("image.image.patches");
        var (vit, rows) = tiny.Model.F64.EncodeImages(patches, [Grid()]);
        Close("vit_out", Cases.D("image.image.vit_out_f64"), vit, 1e-6, 1e-6);
        Close("aligner_out", Cases.D("image.image.aligner_out_f64"), rows, 1e-6, 1e-6);
    }

    [Fact]
    public void Float32TowerAndAlignerEqualTheFloat32Run()
    {
        float[] patches = Cases.D("image.image.patches").Select(v => (float)v).ToArray();
        var (vit, rows) = tiny.Model.F32.EncodeImages(patches, [Grid()]);
        Close("vit_out", Cases.D("image.image.vit_out"), vit.Select(v => (double)v).ToArray(), 1e-4, 0);
        Close("aligner_out", Cases.D("image.image.aligner_out"), rows.Select(v => (double)v).ToArray(), 1e-4, 0);
    }

    [Fact]
    public void TwoImagesInOneBatchGiveEachImagesRows()
    {
        double[] patches = Cases.D("image.image.patches");
        var (_, one) = tiny.Model.F64.EncodeImages(patches, [Grid()]);
        var (_, two) = tiny.Model.F64.EncodeImages([.. patches, .. patches], [Grid(), Grid()]);
        Assert.Equal([.. one, .. one], two);
    }
}

public sealed class ImageSpanTests(V41GoldenForwardTests.Shared tiny) : IClassFixture<V41GoldenForwardTests.Shared>
{
    [Fact]
    public void OneImageTokenExpandsToTheGoldenSpanAndTypes()
    {
        var cases = tiny.Model.Cases;
        int[] golden = cases.L("image.prefill_tokens").Select(v => (int)v).ToArray();
        int[] types = cases.L("image.token_types").Select(v => (int)v).ToArray();
        int imageId = tiny.Model.Config.ImageTokenId;
        // collapse the span to one image token where it starts, as a user writes the prompt
        var collapsed = new List<int>();
        for (int i = 0; i < golden.Length; i++)
            if (types[i] < 0) collapsed.Add(golden[i]);
            else if (types[i] == 0) collapsed.Add(imageId);
        long[] g = cases.L("image.image.grid");
        var img = new ImagePatches<double>(cases.D("image.image.patches"), new PatchGrid((int)g[0], (int)g[1]));
        var (ids, input) = ImageSpans.Expand(tiny.Model.F64, collapsed.ToArray(), [img]);
        Assert.Equal(golden, ids);
        Assert.Equal(types, input.TokenTypes);
        Assert.Equal(cases.D("image.image.aligner_out_f64").Length, input.Rows.Length);
    }

    [Fact]
    public void ImageCountMustMatchTheImageTokens()
    {
        int imageId = tiny.Model.Config.ImageTokenId;
        var e = Assert.Throws<ArgumentException>(() => ImageSpans.Expand<double>(tiny.Model.F64, [5, imageId, imageId], []));
        Assert.Contains("2 image tokens", e.Message);
    }
}
