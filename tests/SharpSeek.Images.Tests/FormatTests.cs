// The other containers: the golden pixels encoded by Skia as lossless WebP decode back exactly, as JPEG
// (quality 100, 4:4:4) of a gradient within JPEG's loss; a GIF's first frame (a hand-built 2 x 1 GIF89a) decodes to its palette.
using SkiaSharp;

namespace SharpSeek.Images.Tests;

public sealed class FormatTests
{
    private static byte[] Encode(RgbImage img, SKEncodedImageFormat format, int quality)
    {
        using var bmp = new SKBitmap(new SKImageInfo(img.Width, img.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
            {
                int i = (y * img.Width + x) * 3;
                bmp.SetPixel(x, y, new SKColor(img.Pixels[i], img.Pixels[i + 1], img.Pixels[i + 2]));
            }
        using SKPixmap pixmap = bmp.PeekPixels();
        using SKData? data = format == SKEncodedImageFormat.Webp
            ? pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100))
            : pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore));
        Assert.NotNull(data);
        return data.ToArray();
    }

    private static RgbImage Golden()
    {
        var (png, _, _, _) = TestImages.GoldenImage();
        return ImageDecoder.Decode(png);
    }

    [Fact]
    public void LosslessWebpDecodesExactly()
    {
        RgbImage img = Golden();
        byte[] webp = Encode(img, SKEncodedImageFormat.Webp, 100);
        Assert.Equal("WebP", ImageDecoder.Sniff(webp));
        Assert.Equal(img.Pixels, ImageDecoder.Decode(webp).Pixels);
    }

    [Fact]
    public void JpegDecodesWithinItsLoss()
    {
        // a smooth gradient (JPEG's loss on the golden image's pixel noise is large by design)
        var px = new byte[64 * 48 * 3];
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++) { int i = (y * 64 + x) * 3; px[i] = (byte)(x * 4); px[i + 1] = (byte)(y * 5); px[i + 2] = 128; }
        var img = new RgbImage(64, 48, px);
        byte[] jpeg = Encode(img, SKEncodedImageFormat.Jpeg, 100);
        Assert.Equal("JPEG", ImageDecoder.Sniff(jpeg));
        RgbImage back = ImageDecoder.Decode(jpeg);
        Assert.Equal((img.Width, img.Height), (back.Width, back.Height));
        double mean = img.Pixels.Zip(back.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(mean < 2, $"mean |d| {mean}");
    }

    [Fact]
    public void GifFirstFrameDecodesToItsPalette()
    {
        // GIF89a, 2 x 1, global palette {red, blue}, one frame: pixel indices 0, 1 (LZW min code size 2)
        byte[] gif =
        [
            .. "GIF89a"u8, 2, 0, 1, 0, 0x80, 0, 0,          // screen 2 x 1, global table of 2 colours
            255, 0, 0, 0, 0, 255,                            // red, blue
            0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0,                 // image descriptor
            2, 2, 0x44, 0x0A, 0,                             // LZW (min code size 2, 3-bit codes): clear, 0, 1, end
            0x3B,
        ];
        Assert.Equal("GIF", ImageDecoder.Sniff(gif));
        RgbImage img = ImageDecoder.Decode(gif);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255 }, img.Pixels);
    }
}
