// Boundary: the real tiny V4 checkpoint produced by the official tooling (tests/fixtures/v4-tiny)
// opens, has the documented dtypes and shapes, and survives a rewrite byte-for-byte.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public sealed class GoldenCheckpointTests
{
    private static readonly string ModelPath = Fixtures.Find("v4-tiny/model.safetensors");

    [Fact]
    public void OpensWithDocumentedDTypesAndShapes()
    {
        using ITensorSource ckpt = Checkpoint.Open(Path.GetDirectoryName(ModelPath)!);
        var file = Assert.IsType<SafetensorsFile>(ckpt);
        Assert.Equal(427, file.Count);
        Assert.Equal("pt", file.Metadata["format"]);

        TensorView embed = ckpt.Get("embed.weight");
        Assert.Equal(DType.BF16, embed.DType);
        Assert.Equal([1024L, 256L], embed.Shape);
        Assert.Equal(DType.F8_E4M3, ckpt.Get("layers.0.attn.wq_a.weight").DType);
        Assert.Equal(DType.I8, ckpt.Get("layers.0.ffn.experts.0.w1.weight").DType);
        Assert.Equal("[128, 8]", ckpt.Get("layers.0.ffn.experts.0.w1.scale").ShapeString);
        Assert.Equal(DType.F8_E8M0, ckpt.Get("layers.0.ffn.experts.0.w1.scale").DType);

        // Values read independently with Python's struct module.
        Assert.Equal([0.890625f, 1.8515625f, 0.73046875f, 1.578125f], embed.ReadAsFloat32().Take(4));
        Assert.Equal([2L, 4L, 5L, 4L], ckpt.Get("layers.0.ffn.gate.tid2eid").ReadAsInt64().Take(4));
    }

    [Fact]
    public void RewriteThroughShardedWriterPreservesEveryTensor()
    {
        using var tmp = new TempDir();
        using var original = SafetensorsFile.Open(ModelPath);
        var writer = new ShardedWriter(maxShardBytes: 2 << 20);
        foreach (string name in original.Names)
        {
            writer.Add(original.Get(name));
        }
        Assert.True(writer.Save(tmp.Path).Count > 1);

        using var copy = Checkpoint.Open(tmp.Path);
        Assert.Equal(original.Names.Order(StringComparer.Ordinal), copy.Names);
        foreach (string name in original.Names)
        {
            TensorView a = original.Get(name), b = copy.Get(name);
            Assert.Equal(a.DType, b.DType);
            Assert.Equal(a.Shape, b.Shape);
            Assert.True(a.Bytes.SequenceEqual(b.Bytes), name);
        }
    }
}
