// Test inputs: the golden image case (tests/fixtures/v41-tiny/cases.safetensors), the tiny vision
// config, and hand-built files (a PNG header declaring any size, with valid CRCs).
using System.Buffers.Binary;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Images.Tests;

internal static class TestImages
{
    public static string Fixture(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpSeek.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("SharpSeek.sln not found above " + AppContext.BaseDirectory);
        return Path.Combine([dir.FullName, "tests", "fixtures", .. parts]);
    }

    public static VisionConfig TinyVision => V41Config.Load(Fixture("v41-tiny", "config.json")).Vision;

    public static (byte[] Png, byte[] Rgb, float[] Patches, long[] Grid) GoldenImage()
    {
        using var f = SafetensorsFile.Open(Fixture("v41-tiny", "cases.safetensors"));
        byte[] U8(string n) => f.Get(n).AsSpan<byte>().ToArray();
        return (U8("image.image.png"), U8("image.image.rgb"), f.Get("image.image.patches").ReadAsFloat32(), f.Get("image.image.grid").ReadAsInt64());
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] Chunk(string type, ReadOnlySpan<byte> body)
    {
        var c = new byte[12 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(c, body.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(c, 4);
        body.CopyTo(c.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(8 + body.Length), Crc32(c.AsSpan(4, 4 + body.Length)));
        return c;
    }

    /// <summary>A PNG signature and IHDR declaring width x height (8-bit RGB), then an empty IDAT and IEND: a decompression-bomb header.</summary>
    public static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2;
        byte[] sig = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        return [.. sig, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), .. Chunk("IEND", [])];
    }
}
