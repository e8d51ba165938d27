// Decoding and preprocessing against the official load_image on the golden image case (exact pixels,
// exact BF16 patches, the grid), the resize plan against values of the official plan_image_grid, and
// Pillow-semantics padding.
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Images.Tests;

public sealed class PreprocessTests
{
    [Fact]
    public void GoldenPngDecodesToTheGoldenPixels()
    {
        var (png, rgb, _, _) = TestImages.GoldenImage();
        RgbImage img = ImageDecoder.Decode(png);
        Assert.Equal((70, 56), (img.Width, img.Height));
        Assert.Equal(rgb, img.Pixels);
    }

    [Fact]
    public void GoldenPngPreprocessesToTheGoldenPatchesExactly()
    {
        var (png, _, patches, grid) = TestImages.GoldenImage();
        PreparedImage p = ImagePreprocessor.Load(png, TestImages.TinyVision);
        Assert.Equal(grid, new long[] { p.Plan.VitHeight, p.Plan.VitWidth, p.Plan.LlmHeight, p.Plan.LlmWidth });
        Assert.Equal(patches, p.Patches);
    }

    // Expected values: the official plan_image_grid (image_processor.py) evaluated in Python.
    [Theory]
    [InlineData(70, 56, 64, 3136, 0, 2, 2, 56, 70)]
    [InlineData(10, 10, 64, 3136, 0, 2, 2, 56, 56)]       // below min_pixels: upscaled
    [InlineData(1000, 700, 64, 3136, 0, 6, 8, 224, 336)]  // over max_n_token: shrunk
    [InlineData(4000, 30, 64, 3136, 0, 1, 61, 42, 2562)]  // very wide: one row
    [InlineData(30, 4000, 64, 3136, 0, 31, 1, 1302, 42)]  // very tall: one column
    [InlineData(33, 97, 64, 3136, 0, 3, 1, 98, 42)]
    [InlineData(3000, 3000, 1024, 544 * 544, 0, 31, 31, 1302, 1302)]
    [InlineData(1920, 1080, 1024, 544 * 544, 0, 23, 41, 966, 1708)]
    [InlineData(500, 20, 64, 3136, 4, 1, 3, 28, 112)]     // max_wh_ratio clamps the width
    public void PlanMatchesTheOfficialPlan(int w, int h, int maxTokens, int minPixels, int maxWhRatio, int llmH, int llmW, int bestH, int bestW)
    {
        var v = new VisionConfig(2, 32, 2, 48, 14, 10000, 3, maxTokens, minPixels, maxWhRatio == 0 ? null : maxWhRatio);
        ImageGridPlan plan = ImageGridPlan.For(w, h, v);
        Assert.Equal((llmH, llmW, bestH, bestW), (plan.LlmHeight, plan.LlmWidth, plan.BestHeight, plan.BestWidth));
        Assert.True(plan.SpanTokens <= maxTokens);
    }

    [Fact]
    public void PadFitsCentresAndFillsWithGrey127()
    {
        // a 2 x 1 white image into 4 x 4: contain gives 4 x 2 (no change of aspect), pasted at y = 1
        var img = RgbImage.Filled(2, 1, 255, 255, 255);
        RgbImage padded = ImagePreprocessor.Pad(img, 4, 4);
        Assert.Equal((4, 4), (padded.Width, padded.Height));
        for (int x = 0; x < 4; x++)
        {
            Assert.Equal(127, padded.Pixels[x * 3]);                 // row 0: grey
            Assert.Equal(255, padded.Pixels[(1 * 4 + x) * 3]);       // rows 1-2: the image (a flat colour stays flat)
            Assert.Equal(255, padded.Pixels[(2 * 4 + x) * 3]);
            Assert.Equal(127, padded.Pixels[(3 * 4 + x) * 3]);       // row 3: grey
        }
    }

    [Fact]
    public void BicubicKeepsAFlatImageFlatAndIdentityIsACopy()
    {
        var img = RgbImage.Filled(37, 23, 10, 200, 99);
        RgbImage r = BicubicResampler.Resize(img, 14, 56);
        Assert.All(Enumerable.Range(0, 14 * 56), i => Assert.Equal(new byte[] { 10, 200, 99 }, r.Pixels[(i * 3)..(i * 3 + 3)]));
        Assert.Equal(img.Pixels, BicubicResampler.Resize(img, 37, 23).Pixels);
    }

    [Fact]
    public void NormalisationIsBf16OfTheOfficialFormula()
    {
        var img = new RgbImage(1, 1, [0, 127, 255]);
        float[] p = ImagePreprocessor.Patchify(img, 1);
        Assert.Equal(-1f, p[0]);
        Assert.Equal(-0.003936767578125f, p[1]);   // (127/255 - 0.5)/0.5 = -0.00392157 -> BF16 (8-bit mantissa) -0.00393677
        Assert.Equal(1f, p[2]);
    }
}
