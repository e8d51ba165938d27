// The EXIF orientation (SkiaSharp's SKEncodedOrigin, EXIF tag 274 values 1-8) applied to the pixels,
// so the image is seen as the camera's viewer shows it (Pillow's ImageOps.exif_transpose).
using SkiaSharp;

namespace SharpSeek.Images;

public static class Orientation
{
    public static RgbImage Apply(RgbImage img, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft) return img;
        int w = img.Width, h = img.Height;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new byte[img.Pixels.Length];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                // source pixel shown at (x, y) of the upright image
                (int sx, int sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),            // 2: mirrored horizontally
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // 3: rotated 180
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),          // 4: mirrored vertically
                    SKEncodedOrigin.LeftTop => (y, x),                     // 5: transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),            // 6: rotated 90 CW to view
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // 7: transverse
                    SKEncodedOrigin.LeftBottom => (w - 1 - y, x),          // 8: rotated 90 CCW to view
                    _ => (x, y),
                };
                int s = (sy * w + sx) * 3, d = (y * ow + x) * 3;
                dst[d] = img.Pixels[s]; dst[d + 1] = img.Pixels[s + 1]; dst[d + 2] = img.Pixels[s + 2];
            }
        return new RgbImage(ow, oh, dst);
    }
}
