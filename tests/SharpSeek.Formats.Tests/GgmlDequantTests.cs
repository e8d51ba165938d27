// ggml block formats decode bit-identically to ggml's own dequantize_row_* on vectors ggml made
// (tests/fixtures/ggml/ggml-quants.gguf, from bench/GgmlVectors): ordinary, tiny (subnormal f16
// scales), huge and sparse rows; formats not decoded yet are listed and refused by name.
using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Tests;

public sealed class GgmlDequantTests
{
    private static string FixturePath(string file = "ggml-quants.gguf")
    {
        for (string? d = AppContext.BaseDirectory; d != null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, "SharpSeek.sln"))) return Path.Combine(d, "tests", "fixtures", "ggml", file);
        throw new DirectoryNotFoundException("SharpSeek.sln not found");
    }

    public static TheoryData<string> Quantisable() => new(Enum.GetValues<GgmlType>().Where(GgmlQuantize.CanQuantize).Select(t => GgmlTypes.Info(t).Name));

    /// <summary>
    /// With an importance matrix (ggml-quants-imatrix.gguf: ggml_quantize_chunk given a non-uniform importance row)
    /// every type the quantiser writes gives ggml's bytes: the _impl paths for Q2_K..Q6_K, Q4_0..Q5_1, IQ4_*, and the
    /// importance ignored where ggml ignores it (Q8_0, MXFP4, F16, BF16).
    /// </summary>
    [Theory]
    [MemberData(nameof(Quantisable))]
    public void QuantisesWithImportanceExactlyAsGgml(string name)
    {
        using GgufFile f = GgufFile.Open(FixturePath("ggml-quants-imatrix.gguf"));
        var type = (GgmlType)Enum.Parse(typeof(GgmlType), name);
        if (type == GgmlType.F32) return;   // not a quantisation: ggml_quantize_chunk does not take it
        float[] source = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(f.Tensor("source.f32"))).ToArray();
        float[] importance = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(f.Tensor("importance.f32"))).ToArray();
        byte[] want = f.Bytes(f.Tensor(name.ToLowerInvariant() + ".q")).ToArray();
        byte[] got = new byte[want.Length];
        GgmlQuantize.Quantize(type, source, got, importance);
        int row = want.Length / (source.Length / importance.Length);
        for (int i = 0; i < got.Length; i++) Assert.True(got[i] == want[i], $"{name} byte {i} (row {i / row}): {got[i]} vs ggml {want[i]}");
    }

    [Fact]
    public void TheImportanceFixtureIsNotUniformAndChangesTheKQuants()
    {
        using GgufFile f = GgufFile.Open(FixturePath("ggml-quants-imatrix.gguf"));
        using GgufFile plain = GgufFile.Open(FixturePath());
        float[] importance = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(f.Tensor("importance.f32"))).ToArray();
        Assert.True(importance.Max() > 10 * importance.Min());
        foreach (string t in new[] { "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "iq4_xs" })
            Assert.False(f.Bytes(f.Tensor(t + ".q")).SequenceEqual(plain.Bytes(plain.Tensor(t + ".q"))), t);
    }

    public static TheoryData<string> Formats() => new(Enum.GetValues<GgmlType>().Where(GgmlBlocks.CanDequantize).Where(t => t != GgmlType.F32).Select(t => GgmlTypes.Info(t).Name));

    [Theory]
    [MemberData(nameof(Formats))]
    public void DecodesExactlyAsGgml(string name)
    {
        using GgufFile f = GgufFile.Open(FixturePath());
        GgufTensorInfo q = f.Tensor(name.ToLowerInvariant() + ".q"), expected = f.Tensor(name.ToLowerInvariant() + ".f32");
        var type = (GgmlType)Enum.Parse(typeof(GgmlType), name);
        Assert.Equal(type, q.Type.Type);
        float[] want = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(expected)).ToArray();
        float[] got = new float[q.Elements];
        GgmlBlocks.Dequantize(type, f.Bytes(q), got);
        for (int i = 0; i < got.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(got[i]) == BitConverter.SingleToInt32Bits(want[i]),
                $"{name} element {i} (row {i / q.RowElements}): {got[i]:R} vs ggml {want[i]:R}");
    }

    /// <summary>The quantisers `sharpseek quantize` uses write ggml's bytes from ggml's own input rows.</summary>
    [Theory]
    [InlineData("Q8_0")]
    [InlineData("Q4_0")]
    [InlineData("MXFP4")]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("Q2_K")]
    [InlineData("Q3_K")]
    [InlineData("Q4_K")]
    [InlineData("Q5_K")]
    [InlineData("Q6_K")]
    [InlineData("IQ4_NL")]
    [InlineData("IQ4_XS")]
    [InlineData("Q4_1")]
    [InlineData("Q5_0")]
    [InlineData("Q5_1")]
    // The grid formats ggml refuses without an importance matrix (IQ2_XXS, IQ2_XS, IQ1_S) were made with an all-ones one
    // (bench/GgmlVectors); the others, IQ1_M included, with none.
    [InlineData("IQ2_XXS", true)]
    [InlineData("IQ2_XS", true)]
    [InlineData("IQ2_S")]
    [InlineData("IQ3_XXS")]
    [InlineData("IQ3_S")]
    [InlineData("IQ1_S", true)]
    [InlineData("IQ1_M")]
    public void QuantisesExactlyAsGgml(string name, bool allOnesImportance = false)
    {
        using GgufFile f = GgufFile.Open(FixturePath());
        var type = (GgmlType)Enum.Parse(typeof(GgmlType), name);
        GgufTensorInfo src = f.Tensor("source.f32");
        float[] source = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Bytes(src)).ToArray();
        float[] importance = allOnesImportance ? Enumerable.Repeat(1f, (int)src.RowElements).ToArray() : [];
        byte[] want = f.Bytes(f.Tensor(name.ToLowerInvariant() + ".q")).ToArray();
        byte[] got = new byte[want.Length];
        GgmlQuantize.Quantize(type, source, got, importance);
        for (int i = 0; i < got.Length; i++) Assert.True(got[i] == want[i], $"{name} byte {i}: {got[i]} vs ggml {want[i]}");
    }

    [Fact]
    public void EveryFormatInTheFixtureIsDecodedOrRefusedByName()
    {
        using GgufFile f = GgufFile.Open(FixturePath());
        var refused = new List<string>();
        foreach (GgufTensorInfo t in f.Tensors.Where(t => t.Name.EndsWith(".q", StringComparison.Ordinal)))
        {
            if (GgmlBlocks.CanDequantize(t.Type.Type)) continue;
            var ex = Assert.Throws<NotSupportedException>(() => GgmlBlocks.Dequantize(t.Type.Type, f.Bytes(t), new float[t.Elements]));
            Assert.Contains(t.Type.Name, ex.Message);
            refused.Add(t.Type.Name);
        }
        // Every block format in the fixture is decoded (the 8-bit integer and 64-bit float element types are not block formats).
        Assert.Empty(refused);
    }

    [Fact]
    public void WrongSizesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => GgmlBlocks.Dequantize(GgmlType.Q8_0, new byte[34], new float[33]));
        Assert.Throws<ArgumentException>(() => GgmlBlocks.Dequantize(GgmlType.Q8_0, new byte[33], new float[32]));
        Assert.Throws<ArgumentException>(() => GgmlBlocks.Dequantize(GgmlType.Q4_K, new byte[144], new float[512]));
    }
}
