// The grid quantisers write ggml's bytes with a non-uniform importance matrix too, and without one
// where ggml allows it, on rows that reach their edge cases (tests/fixtures/ggml/ggml-quants-iq.gguf,
// from bench/GgmlVectors --iq-out): all-zero 16/32-value sub-blocks, many equal values, tiny and huge rows.
using System.Runtime.InteropServices;

using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Tests;

public sealed class GgmlIqVectorsTests
{
    private static string FixturePath()
    {
        for (string? d = AppContext.BaseDirectory; d != null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, "SharpSeek.sln"))) return Path.Combine(d, "tests", "fixtures", "ggml", "ggml-quants-iq.gguf");
        throw new DirectoryNotFoundException("SharpSeek.sln not found");
    }

    [Theory]
    [InlineData("IQ2_XXS", true)]
    [InlineData("IQ2_XS", true)]
    [InlineData("IQ2_S", true)]
    [InlineData("IQ2_S", false)]
    [InlineData("IQ3_XXS", true)]
    [InlineData("IQ3_XXS", false)]
    [InlineData("IQ3_S", true)]
    [InlineData("IQ3_S", false)]
    [InlineData("IQ1_S", true)]
    [InlineData("IQ1_M", true)]
    [InlineData("IQ1_M", false)]
    public void QuantisesExactlyAsGgml(string name, bool withImportance)
    {
        using GgufFile f = GgufFile.Open(FixturePath());
        var type = Enum.Parse<GgmlType>(name);
        GgmlTypeInfo info = GgmlTypes.Info(type);
        float[] source = MemoryMarshal.Cast<byte, float>(f.Bytes(f.Tensor("source.f32"))).ToArray();
        float[] importance = withImportance ? MemoryMarshal.Cast<byte, float>(f.Bytes(f.Tensor("importance.f32"))).ToArray() : [];
        byte[] want = f.Bytes(f.Tensor(name.ToLowerInvariant() + (withImportance ? ".qw" : ".q"))).ToArray();
        byte[] got = new byte[want.Length];
        GgmlQuantize.Quantize(type, source, got, importance);
        var wrong = Enumerable.Range(0, got.Length).Where(i => got[i] != want[i]).ToList();
        Assert.True(wrong.Count == 0, $"{name}: {wrong.Count} bytes differ, first at block {wrong.FirstOrDefault() / info.BlockBytes} offset {wrong.FirstOrDefault() % info.BlockBytes}: " +
            string.Join(", ", wrong.Take(12).Select(i => $"[{i / info.BlockBytes}:{i % info.BlockBytes}] {got[i]} vs {want[i]}")));
    }
}
