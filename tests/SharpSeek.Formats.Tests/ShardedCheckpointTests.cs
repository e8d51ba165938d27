// Boundary: ShardedWriter output read back through Checkpoint.Open, and the shard policy:
// missing shard files, tensors missing from their shard, duplicates, extras, directory fallbacks.
using System.Text.Json;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public sealed class ShardedCheckpointTests
{
    private static void WriteFile(string path, params (string Name, byte[] Data)[] tensors)
    {
        var w = new SafetensorsWriter();
        foreach (var (name, data) in tensors)
        {
            w.Add(name, DType.U8, [data.Length], data);
        }
        w.Save(path);
    }

    private static void WriteIndex(string path, params (string Name, string File)[] map)
    {
        var weightMap = map.ToDictionary(m => m.Name, m => m.File);
        File.WriteAllText(path, JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = weightMap }));
    }

    [Fact]
    public void ShardedWriteRoundTripsThroughTheIndex()
    {
        using var tmp = new TempDir();
        var writer = new ShardedWriter(maxShardBytes: 100);
        var expected = new Dictionary<string, byte[]>();
        for (int i = 0; i < 10; i++)
        {
            byte[] data = Fixtures.RandomBytes(40, seed: i);
            expected[$"layers.{i}.w"] = data;
            if (i % 2 == 0)
            {
                writer.Add($"layers.{i}.w", DType.BF16, [4, 5], data);
            }
            else
            {
                writer.AddLazy($"layers.{i}.w", DType.BF16, [4, 5], s => s.Write(data));
            }
        }
        writer.Add("huge", DType.U8, [250], Fixtures.RandomBytes(250, 99));
        expected["huge"] = Fixtures.RandomBytes(250, 99);

        IReadOnlyList<string> files = writer.Save(tmp.Path);
        Assert.Equal(["model-00001-of-00006.safetensors", "model-00002-of-00006.safetensors", "model-00003-of-00006.safetensors",
            "model-00004-of-00006.safetensors", "model-00005-of-00006.safetensors", "model-00006-of-00006.safetensors"], files);

        using var doc = JsonDocument.Parse(File.ReadAllText(tmp.File("model.safetensors.index.json")));
        Assert.Equal(650, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        Assert.Equal("model-00006-of-00006.safetensors", doc.RootElement.GetProperty("weight_map").GetProperty("huge").GetString());
        Assert.Equal("model-00001-of-00006.safetensors", doc.RootElement.GetProperty("weight_map").GetProperty("layers.1.w").GetString());

        using ITensorSource ckpt = Checkpoint.Open(tmp.Path);
        var sharded = Assert.IsType<ShardedCheckpoint>(ckpt);
        Assert.Equal(6, sharded.Shards.Count);
        Assert.Equal("650", sharded.IndexMetadata["total_size"]);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ckpt.Names);
        foreach (var (name, data) in expected)
        {
            Assert.Equal(data, ckpt.Get(name).Bytes.ToArray());
        }
        Assert.EndsWith("model-00002-of-00006.safetensors", ckpt.Get("layers.2.w").SourceFile);
        foreach (SafetensorsFile shard in sharded.Shards)
        {
            Assert.True(shard.Names.Sum(n => shard.Get(n).ByteLength) <= 100 || shard.Count == 1);
        }
    }

    [Fact]
    public void IndexPointingAtMissingFileNamesIndexAndFile()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("a.safetensors"), ("x", [1]));
        string index = tmp.File("model.safetensors.index.json");
        WriteIndex(index, ("x", "a.safetensors"), ("y", "gone-00002.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Open(tmp.Path));
        Assert.Contains(index, e.Message);
        Assert.Contains("gone-00002.safetensors", e.Message);
    }

    [Fact]
    public void IndexNamingTensorAbsentFromShardNamesBoth()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("a.safetensors"), ("x", [1]));
        WriteIndex(tmp.File("model.safetensors.index.json"), ("x", "a.safetensors"), ("ghost.weight", "a.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Open(tmp.Path));
        Assert.Contains("'ghost.weight'", e.Message);
        Assert.Contains("a.safetensors", e.Message);
    }

    [Fact]
    public void SameTensorInTwoIndexedShardsIsAnError()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("a.safetensors"), ("x", [1]), ("dup", [2]));
        WriteFile(tmp.File("b.safetensors"), ("y", [3]), ("dup", [4]));
        WriteIndex(tmp.File("model.safetensors.index.json"), ("x", "a.safetensors"), ("y", "b.safetensors"), ("dup", "a.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Open(tmp.Path));
        Assert.Contains("'dup'", e.Message);
        Assert.Contains("a.safetensors", e.Message);
        Assert.Contains("b.safetensors", e.Message);
    }

    [Fact]
    public void TensorsTheIndexDoesNotNameAreHidden()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("a.safetensors"), ("x", [1]), ("extra", [2]));
        WriteIndex(tmp.File("model.safetensors.index.json"), ("x", "a.safetensors"));
        using var ckpt = Checkpoint.Open(tmp.Path);
        Assert.Equal(["x"], ckpt.Names);
        Assert.False(ckpt.Contains("extra"));
    }

    [Theory]
    [InlineData("{\"weight_map\": {\"x\": \"../a.safetensors\"}}", "not a file inside")]
    [InlineData("{\"weight_map\": {\"x\": 3}}", "weight_map['x']")]
    [InlineData("{\"metadata\": {}}", "weight_map")]
    [InlineData("{\"weight_map\": ", "not valid JSON")]
    public void MalformedIndexNamesTheIndex(string json, string expected)
    {
        using var tmp = new TempDir();
        string index = tmp.File("model.safetensors.index.json");
        File.WriteAllText(index, json);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Open(tmp.Path));
        Assert.Contains(index, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void WithoutIndexModelSafetensorsWins()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("model.safetensors"), ("x", [1]));
        WriteFile(tmp.File("other.safetensors"), ("x", [2]));
        using var ckpt = Checkpoint.Open(tmp.Path);
        Assert.IsType<SafetensorsFile>(ckpt);
        Assert.Equal(1, ckpt.Get("x").Bytes[0]);
    }

    [Fact]
    public void WithoutIndexAllShardsAreOpened()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("p1.safetensors"), ("x", [1]));
        WriteFile(tmp.File("p2.safetensors"), ("y", [2]));
        using var ckpt = Checkpoint.Open(tmp.Path);
        Assert.Equal(["x", "y"], ckpt.Names);
        Assert.Equal(2, ckpt.Get("y").Bytes[0]);
        var e = Assert.Throws<KeyNotFoundException>(() => ckpt.Get("z.weight"));
        Assert.Contains("z.weight", e.Message);
        Assert.Contains(tmp.Path, e.Message);
    }

    [Fact]
    public void WithoutIndexDuplicatesAreAnError()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("p1.safetensors"), ("x", [1]));
        WriteFile(tmp.File("p2.safetensors"), ("x", [2]));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Open(tmp.Path));
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void DirectoryWithoutSafetensorsNamesTheDirectory()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("config.json"), "{}");
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Open(tmp.Path));
        Assert.Contains(tmp.Path, e.Message);
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Open(tmp.File("missing-dir")));
    }

    [Fact]
    public void SingleFileAndIndexPathsAreAccepted()
    {
        using var tmp = new TempDir();
        var writer = new ShardedWriter(1);
        writer.Add("a", DType.U8, [1], [5]);
        writer.Add("b", DType.U8, [1], [6]);
        writer.Save(tmp.Path);
        using (var one = Checkpoint.Open(tmp.File("model-00002-of-00002.safetensors")))
        {
            Assert.Equal(["b"], one.Names);
        }
        using var all = Checkpoint.Open(tmp.File("model.safetensors.index.json"));
        Assert.Equal(["a", "b"], all.Names);
    }

    [Fact]
    public void DisposedCheckpointRefusesAccess()
    {
        using var tmp = new TempDir();
        WriteFile(tmp.File("p1.safetensors"), ("x", [1]));
        WriteFile(tmp.File("p2.safetensors"), ("y", [2]));
        var ckpt = Checkpoint.Open(tmp.Path);
        TensorView view = ckpt.Get("x");
        ckpt.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view.Bytes.Length);
        Assert.Throws<ObjectDisposedException>(() => ckpt.Get("x"));
    }
}
