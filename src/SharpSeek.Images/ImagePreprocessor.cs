// An image -> ViT patches, as the official load_image does: plan the grid; when the aspect ratio is
// clamped (max_wh_ratio) resize to the plan, else ImageOps.pad to it (fit inside, BICUBIC, centred on
// grey 127); x/255, (x - 0.5)/0.5 in float32, rounded to BF16; cut into p x p patches in reading
// order, each [3, p, p] channel-major. Deviation: the EXIF origin is honoured (ImageDecoder).
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Images;

/// <summary>One preprocessed image: patches [n_vit_h * n_vit_w, 3, p, p] (BF16 values) and its plan.</summary>
public sealed record PreparedImage(float[] Patches, ImageGridPlan Plan)
{
    public PatchGrid Grid => new(Plan.VitHeight, Plan.VitWidth);
}

public static class ImagePreprocessor
{
    public const byte PadGrey = 127;

    /// <summary>Decodes and preprocesses an encoded image file.</summary>
    public static PreparedImage Load(byte[] bytes, VisionConfig v, string what = "image")
        => Prepare(ImageDecoder.Decode(bytes, what), v);

    public static PreparedImage Prepare(RgbImage image, VisionConfig v)
    {
        // 1. the plan
        ImageGridPlan plan = ImageGridPlan.For(image.Width, image.Height, v);
        // 2. resize (clamped aspect) or pad-to-fit
        RgbImage fitted = v.MaxWhRatio is int ratio && image.Width >= (long)ratio * image.Height
            ? BicubicResampler.Resize(image, plan.BestWidth, plan.BestHeight)
            : Pad(image, plan.BestWidth, plan.BestHeight);
        // 3. normalise to [-1, 1] in BF16 and cut into patches                            [N, 3, p, p]
        return new PreparedImage(Patchify(fitted, v.PatchSize), plan);
    }

    /// <summary>Pillow's ImageOps.pad(image, size, BICUBIC, color=127, centering 0.5): contain, then paste centred.</summary>
    public static RgbImage Pad(RgbImage image, int width, int height)
    {
        // contain: the largest size of the image's aspect inside (width, height), Python round() (half to even)
        int w = width, h = height;
        double imRatio = (double)image.Width / image.Height, destRatio = (double)width / height;
        if (imRatio != destRatio)
        {
            if (imRatio > destRatio) h = (int)Math.Round((double)image.Height / image.Width * width, MidpointRounding.ToEven);
            else w = (int)Math.Round((double)image.Width / image.Height * height, MidpointRounding.ToEven);
        }
        RgbImage resized = BicubicResampler.Resize(image, w, h);
        if (w == width && h == height) return resized;
        RgbImage out_ = RgbImage.Filled(width, height, PadGrey, PadGrey, PadGrey);
        int x0 = w != width ? (int)Math.Round((width - w) * 0.5, MidpointRounding.ToEven) : 0;
        int y0 = w != width ? 0 : (int)Math.Round((height - h) * 0.5, MidpointRounding.ToEven);
        for (int y = 0; y < h; y++)
            Array.Copy(resized.Pixels, y * w * 3, out_.Pixels, ((y0 + y) * width + x0) * 3, w * 3);
        return out_;
    }

    /// <summary>Pixels -> patches [n_h * n_w, 3, p, p] of BF16-rounded (x/255 - 0.5)/0.5.</summary>
    public static float[] Patchify(RgbImage img, int p)
    {
        if (img.Width % p != 0 || img.Height % p != 0) throw new ArgumentException($"{img.Width} x {img.Height} is not a whole number of {p}-pixel patches");
        Span<float> lut = stackalloc float[256];
        for (int i = 0; i < 256; i++) lut[i] = Bf16.Decode(Bf16.Encode((i / 255f - 0.5f) / 0.5f));
        int nh = img.Height / p, nw = img.Width / p;
        var patches = new float[nh * nw * 3 * p * p];
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
                for (int c = 0; c < 3; c++)
                {
                    int patch = (y / p) * nw + x / p;
                    patches[((patch * 3 + c) * p + y % p) * p + x % p] = lut[img.Pixels[(y * img.Width + x) * 3 + c]];
                }
        return patches;
    }
}
