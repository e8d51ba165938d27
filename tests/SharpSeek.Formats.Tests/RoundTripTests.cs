// Boundary: SafetensorsWriter -> SafetensorsFile round trips: every dtype, scalar and
// zero-sized shapes, byte-exact contents, header layout, metadata and atomic saves.
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public sealed class RoundTripTests
{
    private static readonly long[][] Shapes = [[], [0], [3], [2, 3], [2, 0, 4], [1, 5, 1]];

    public static TheoryData<DType> AllDTypes()
    {
        var data = new TheoryData<DType>();
        foreach (DType t in Enum.GetValues<DType>())
        {
            data.Add(t);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeAndShapeRoundTripsByteExact(DType dtype)
    {
        using var tmp = new TempDir();
        var writer = new SafetensorsWriter();
        var expected = new Dictionary<string, byte[]>();
        for (int i = 0; i < Shapes.Length; i++)
        {
            long count = Shapes[i].Aggregate(1L, (a, b) => a * b);
            byte[] bytes = Fixtures.RandomBytes((int)count * dtype.Size(), seed: i + 17 * (int)dtype);
            string name = $"t{i}.{dtype}";
            writer.Add(name, dtype, Shapes[i], bytes);
            expected[name] = bytes;
        }
        string path = tmp.File("rt.safetensors");
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(Shapes.Length, file.Count);
        for (int i = 0; i < Shapes.Length; i++)
        {
            TensorView v = file.Get($"t{i}.{dtype}");
            Assert.Equal(dtype, v.DType);
            Assert.Equal(Shapes[i], v.Shape);
            Assert.Equal(Shapes[i].Length, v.Rank);
            Assert.Equal(expected[v.Name].Length, v.ByteLength);
            Assert.Equal(expected[v.Name].Length / dtype.Size(), v.ElementCount);
            Assert.Equal(expected[v.Name], v.Bytes.ToArray());
            Assert.Equal(path, v.SourceFile);
        }
    }

    [Fact]
    public void HeaderIsSortedPaddedAndDataFollowsAddOrder()
    {
        using var tmp = new TempDir();
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Add("zeta", DType.U8, [3], [1, 2, 3]);
        writer.Add("alpha", DType.I16, [2], [4, 5, 6, 7]);
        string path = tmp.File("h.safetensors");
        writer.Save(path);

        string header = RawSafetensors.ReadHeader(path, out long headerLength);
        Assert.Equal(0, headerLength % 8);
        Assert.EndsWith("}", header.TrimEnd(' '));
        using var doc = JsonDocument.Parse(header);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["__metadata__", "alpha", "zeta"], keys);
        Assert.Equal("[0,3]", doc.RootElement.GetProperty("zeta").GetProperty("data_offsets").GetRawText());
        Assert.Equal("[3,7]", doc.RootElement.GetProperty("alpha").GetProperty("data_offsets").GetRawText());

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(8 + headerLength, file.DataOffset);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, file.Get("alpha").Bytes.ToArray());
    }

    [Fact]
    public void EmptyCheckpointRoundTrips()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.safetensors");
        new SafetensorsWriter().Save(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Names);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void LazyTensorIsStreamedAndChecked()
    {
        using var tmp = new TempDir();
        var writer = new SafetensorsWriter();
        writer.AddLazy("big", DType.F32, [256, 4], s =>
        {
            for (int i = 0; i < 1024; i++)
            {
                s.Write(BitConverter.GetBytes((float)i));
            }
        });
        string path = tmp.File("lazy.safetensors");
        writer.Save(path);
        using var file = SafetensorsFile.Open(path);
        float[] values = file.Get("big").ReadAsFloat32();
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => (float)i), values);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    public void LazyTensorWithWrongByteCountFailsAndLeavesNoFile(int bytesWritten)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        File.WriteAllText(path, "previous contents");
        var writer = new SafetensorsWriter();
        writer.Add("ok", DType.U8, [1], [1]);
        writer.AddLazy("short", DType.U8, [8], s => s.Write(new byte[bytesWritten]));

        var e = Assert.Throws<InvalidOperationException>(() => writer.Save(path));
        Assert.Contains("'short'", e.Message);
        Assert.Equal("previous contents", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void AddRejectsSizeMismatchDuplicatesAndNegativeDims()
    {
        var writer = new SafetensorsWriter();
        var e = Assert.Throws<ArgumentException>(() => writer.Add("w", DType.BF16, [2, 3], new byte[11]));
        Assert.Contains("'w'", e.Message);
        writer.Add("w", DType.BF16, [2, 3], new byte[12]);
        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => writer.Add("w", DType.U8, [1], new byte[1])).Message);
        Assert.Throws<ArgumentException>(() => writer.Add("n", DType.U8, [-1], []));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", DType.U8, [1], new byte[1]));
        Assert.Equal(1, writer.Count);
        Assert.Equal(12, writer.DataBytes);
    }

    [Fact]
    public void ViewsOfAnotherSourceAreExported()
    {
        using var tmp = new TempDir();
        using var mem = new InMemoryTensorSource();
        mem.AddElements<float>("a", DType.F32, [2], [1.5f, -2f]);
        mem.Add("b", DType.I8, [3], [1, 255, 7]);
        var writer = new SafetensorsWriter();
        foreach (string name in mem.Names)
        {
            writer.Add(mem.Get(name));
        }
        string path = tmp.File("export.safetensors");
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([1.5f, -2f], file.Get("a").ReadAsFloat32());
        Assert.Equal(new byte[] { 1, 255, 7 }, file.Get("b").Bytes.ToArray());
    }
}
