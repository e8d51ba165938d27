// Bytes -> RgbImage: PNG, JPEG, GIF (first frame) and WebP through SkiaSharp (Google's Skia codecs:
// libpng, libjpeg-turbo, libwebp). The header is read first, so a declared size beyond MaxPixels (a
// decompression bomb) is refused before any pixel memory is taken; the EXIF origin is applied; alpha is
// dropped without compositing (Pillow's convert("RGB")).
using SkiaSharp;

namespace SharpSeek.Images;

public static class ImageDecoder
{
    /// <summary>Largest image decoded: 64 megapixels (an 8192 x 8192 photo; 256 MiB of RGBA while decoding).</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>Largest encoded file accepted (bytes).</summary>
    public const int MaxBytes = 64 << 20;

    /// <summary>The container format named by the file's magic bytes, or null.</summary>
    public static string? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 8 && b[..8].SequenceEqual<byte>([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "PNG";
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "JPEG";
        if (b.Length >= 6 && b[..4].SequenceEqual("GIF8"u8) && (b[4] == (byte)'7' || b[4] == (byte)'9') && b[5] == (byte)'a') return "GIF";
        if (b.Length >= 12 && b[..4].SequenceEqual("RIFF"u8) && b.Slice(8, 4).SequenceEqual("WEBP"u8)) return "WebP";
        return null;
    }

    public static RgbImage Decode(byte[] bytes, string what = "image")
    {
        // 1. format by magic bytes; size limits
        if (bytes.Length == 0) throw new ImageInputException($"{what}: empty file");
        if (bytes.Length > MaxBytes) throw new ImageInputException($"{what}: {bytes.Length} bytes is larger than the {MaxBytes >> 20} MiB accepted");
        string format = Sniff(bytes) ?? throw new ImageInputException($"{what}: unknown image format (PNG, JPEG, GIF and WebP are accepted)");
        // 2. header: declared size, before any pixel memory
        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out SKCodecResult created);
        if (codec is null) throw new ImageInputException($"{what}: corrupt or truncated {format} header ({created})");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0) throw new ImageInputException($"{what}: {format} declares an empty size {w} x {h}");
        if ((long)w * h > MaxPixels)
            throw new ImageInputException($"{what}: {format} declares {w} x {h} pixels, more than the {MaxPixels >> 20} megapixels decoded (decompression bomb?)");
        // 3. pixels (first frame), unpremultiplied RGBA
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[checked(w * h * 4)];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = rgba) result = codec.GetPixels(info, (IntPtr)p);
        }
        if (result == SKCodecResult.IncompleteInput) throw new ImageInputException($"{what}: truncated {format} data ({w} x {h} declared)");
        if (result != SKCodecResult.Success) throw new ImageInputException($"{what}: corrupt {format} data ({result})");
        // 4. RGB (alpha dropped), then the EXIF origin
        var rgb = new byte[w * h * 3];
        for (int i = 0, j = 0; i < rgba.Length; i += 4, j += 3) { rgb[j] = rgba[i]; rgb[j + 1] = rgba[i + 1]; rgb[j + 2] = rgba[i + 2]; }
        return Orientation.Apply(new RgbImage(w, h, rgb), codec.EncodedOrigin);
    }
}
