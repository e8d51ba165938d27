// BicubicResampler and ImagePreprocessor.Pad against real Pillow (tests/fixtures/pillow, written by
// scripts/images/pillow_resize_cases.py with Pillow's Image.resize(BICUBIC) and ImageOps.pad(BICUBIC,
// grey 127)): noise, gradient and hard-edge sources, down- and upscaled to ViT grid sizes. The
// reimplementation follows Pillow's fixed-point algorithm, so every channel value must be equal.
using System.Text.Json;

namespace SharpSeek.Images.Tests;

public sealed class PillowResampleTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(TestImages.Fixture("pillow", "cases.json")));
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EqualsPillow(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestImages.Fixture("pillow", "cases.json")));
        JsonElement c = doc.RootElement.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        RgbImage src = ImageDecoder.Decode(File.ReadAllBytes(TestImages.Fixture("pillow", name + ".src.png")), name);
        RgbImage pillow = ImageDecoder.Decode(File.ReadAllBytes(TestImages.Fixture("pillow", name + ".pillow.png")), name);
        int w = c.GetProperty("width").GetInt32(), h = c.GetProperty("height").GetInt32();
        RgbImage ours = c.GetProperty("op").GetString() == "pad" ? ImagePreprocessor.Pad(src, w, h) : BicubicResampler.Resize(src, w, h);
        Assert.Equal((w, h), (pillow.Width, pillow.Height));
        Assert.Equal((w, h), (ours.Width, ours.Height));
        int worst = 0, at = -1;
        for (int i = 0; i < ours.Pixels.Length; i++)
        {
            int d = Math.Abs(ours.Pixels[i] - pillow.Pixels[i]);
            if (d > worst) { worst = d; at = i; }
        }
        Assert.True(worst == 0, $"{name}: largest difference {worst} at pixel {at / 3} channel {at % 3}");
    }
}
