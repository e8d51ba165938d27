// An 8-bit RGB image in memory, rows top to bottom, pixels interleaved R, G, B (Pillow's "RGB" mode).
namespace SharpSeek.Images;

public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    public static RgbImage Filled(int width, int height, byte r, byte g, byte b)
    {
        var px = new byte[checked(width * height * 3)];
        for (int i = 0; i < px.Length; i += 3) { px[i] = r; px[i + 1] = g; px[i + 2] = b; }
        return new RgbImage(width, height, px);
    }
}

/// <summary>An image that cannot be used: corrupt, truncated, an unknown format, too large to decode, or sent to a model without vision.</summary>
public sealed class ImageInputException(string message, Exception? inner = null) : Exception(message, inner);
