// Bad input gets an ImageInputException naming what is wrong: empty, unknown format, corrupt,
// truncated, a decompression-bomb header; and the EXIF orientation mapping.
using SkiaSharp;

namespace SharpSeek.Images.Tests;

public sealed class BadImageTests
{
    private static string Fails(byte[] bytes) => Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bytes, "upload.png")).Message;

    [Fact]
    public void EmptyFileIsRefused() => Assert.Contains("empty", Fails([]));

    [Fact]
    public void UnknownFormatIsRefused() => Assert.Contains("unknown image format", Fails("BM this is not an image at all"u8.ToArray()));

    [Fact]
    public void TruncatedPngIsRefused()
    {
        byte[] png = TestImages.GoldenImage().Png;
        string m = Fails(png[..(png.Length / 2)]);
        Assert.Contains("upload.png", m);
        Assert.Contains("PNG", m);
    }

    [Fact]
    public void CorruptHeaderIsRefused()
    {
        byte[] png = TestImages.GoldenImage().Png;
        png[20] ^= 0xFF;   // inside IHDR: its CRC no longer matches
        Assert.Contains("PNG", Fails(png));
    }

    [Fact]
    public void DecompressionBombHeaderIsRefusedBeforeDecoding()
    {
        string m = Fails(TestImages.PngHeader(100_000, 100_000));
        Assert.Contains("100000 x 100000", m);
        Assert.Contains("decompression bomb", m);
    }

    [Fact]
    public void SmallDeclaredSizeWithNoPixelDataIsTruncatedOrCorrupt()
    {
        string m = Fails(TestImages.PngHeader(4, 4));
        Assert.Contains("PNG", m);
    }

    [Theory]
    [InlineData(SKEncodedOrigin.TopRight, 3, 2, new byte[] { 3, 2, 1, 6, 5, 4 })]
    [InlineData(SKEncodedOrigin.BottomRight, 3, 2, new byte[] { 6, 5, 4, 3, 2, 1 })]
    [InlineData(SKEncodedOrigin.BottomLeft, 3, 2, new byte[] { 4, 5, 6, 1, 2, 3 })]
    [InlineData(SKEncodedOrigin.LeftTop, 2, 3, new byte[] { 1, 4, 2, 5, 3, 6 })]
    [InlineData(SKEncodedOrigin.RightTop, 2, 3, new byte[] { 4, 1, 5, 2, 6, 3 })]
    [InlineData(SKEncodedOrigin.RightBottom, 2, 3, new byte[] { 6, 3, 5, 2, 4, 1 })]
    [InlineData(SKEncodedOrigin.LeftBottom, 2, 3, new byte[] { 3, 6, 2, 5, 1, 4 })]
    public void ExifOriginsTurnTheImageUpright(SKEncodedOrigin origin, int w, int h, byte[] expected)
    {
        // stored 3 x 2:  1 2 3 / 4 5 6 (one value per pixel, in the red channel)
        byte[] px = new byte[18];
        for (int i = 0; i < 6; i++) px[i * 3] = (byte)(i + 1);
        RgbImage up = Orientation.Apply(new RgbImage(3, 2, px), origin);
        Assert.Equal((w, h), (up.Width, up.Height));
        Assert.Equal(expected, Enumerable.Range(0, 6).Select(i => up.Pixels[i * 3]).ToArray());
    }
}
