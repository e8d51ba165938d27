// Pillow's Image.resize with BICUBIC (libImaging/Resample.c), reimplemented for 8-bit RGB: separable,
// horizontal pass then vertical, each output pixel a window of the cubic kernel (a = -0.5) whose support
// widens by the downscale factor, weights normalised to sum 1, then held as 22-bit fixed point with
// round-half-up accumulation and clamping to 0..255 after each pass.
namespace SharpSeek.Images;

public static class BicubicResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    private static double Cubic(double x)
    {
        const double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /// <summary>Per output index: first input index, count, and fixed-point weights (ksize each).</summary>
    private static (int[] Bounds, int[] Weights, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 2.0 * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale, ss = 1.0 / filterScale, ww = 0;
            int xmin = Math.Max(0, (int)(center - support + 0.5));
            int xmax = Math.Min(inSize, (int)(center + support + 0.5)) - xmin;
            Array.Clear(k);
            for (int x = 0; x < xmax; x++) { k[x] = Cubic((x + xmin - center + 0.5) * ss); ww += k[x]; }
            for (int x = 0; x < xmax; x++)
            {
                double v = ww != 0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = v < 0 ? (int)(-0.5 + v * (1 << PrecisionBits)) : (int)(0.5 + v * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin; bounds[xx * 2 + 1] = xmax;
        }
        return (bounds, weights, ksize);
    }

    private static byte Clip8(int acc)
    {
        int v = acc >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    public static RgbImage Resize(RgbImage src, int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"resize to {width} x {height}");
        if (width == src.Width && height == src.Height) return src with { Pixels = (byte[])src.Pixels.Clone() };
        RgbImage img = src;
        // 1. horizontal pass (when the width changes)                                       [H, W', 3]
        if (width != src.Width)
        {
            var (b, k, ks) = Coefficients(src.Width, width);
            var dst = new byte[width * src.Height * 3];
            for (int y = 0; y < src.Height; y++)
                for (int x = 0; x < width; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        int acc = 1 << (PrecisionBits - 1);
                        for (int i = 0; i < b[x * 2 + 1]; i++) acc += src.Pixels[(y * src.Width + b[x * 2] + i) * 3 + c] * k[x * ks + i];
                        dst[(y * width + x) * 3 + c] = Clip8(acc);
                    }
            img = new RgbImage(width, src.Height, dst);
        }
        // 2. vertical pass (when the height changes)                                        [H', W', 3]
        if (height != img.Height)
        {
            var (b, k, ks) = Coefficients(img.Height, height);
            var dst = new byte[width * height * 3];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        int acc = 1 << (PrecisionBits - 1);
                        for (int i = 0; i < b[y * 2 + 1]; i++) acc += img.Pixels[((b[y * 2] + i) * width + x) * 3 + c] * k[y * ks + i];
                        dst[(y * width + x) * 3 + c] = Clip8(acc);
                    }
            img = new RgbImage(width, height, dst);
        }
        return img;
    }
}
