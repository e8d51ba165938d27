// Where weight bytes live (FileBytes / FileResidency): a file read into huge-page memory gives exactly
// the bytes the mapping gives, for every tensor of a safetensors checkpoint and a GGUF file; the
// modes parse from their names only; Mapped never reads a file into memory.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;

namespace SharpSeek.Formats.Tests;

public sealed class FileResidencyTests
{
    [Fact]
    public void ResidentSafetensorsHoldTheMappedBytes()
    {
        string path = Fixtures.Find("v4-tiny/model.safetensors");
        using var mapped = SafetensorsFile.Open(path, WeightsMemory.Mapped);
        using var resident = SafetensorsFile.Open(path, WeightsMemory.Resident);
        Assert.False(mapped.IsResident);
        Assert.Equal(OperatingSystem.IsLinux(), resident.IsResident);
        Assert.Equal(mapped.Names, resident.Names);
        int n = 0;
        foreach (string name in mapped.Names)
        {
            Assert.True(mapped.Get(name).Bytes.SequenceEqual(resident.Get(name).Bytes), name);
            n++;
        }
        Assert.True(n > 10);
    }

    [Fact]
    public void ResidentGgufHoldsTheMappedBytes()
    {
        string path = Fixtures.Find("ggml/v4-tiny-llama-convert.gguf");
        using var mapped = GgufFile.Open(path, WeightsMemory.Mapped);
        using var resident = GgufFile.Open(path, WeightsMemory.Resident);
        Assert.False(mapped.IsResident);
        Assert.Equal(OperatingSystem.IsLinux(), resident.IsResident);
        Assert.Equal(mapped.Tensors.Count, resident.Tensors.Count);
        foreach (GgufTensorInfo t in mapped.Tensors)
        {
            GgufTensorInfo r = resident.Tensor(t.Name);
            Assert.True(mapped.Bytes(t, 0, (int)t.ByteLength).SequenceEqual(resident.Bytes(r, 0, (int)r.ByteLength)), t.Name);
        }
        Assert.Equal(mapped.Metadata.Count, resident.Metadata.Count);
    }

    [Fact]
    public void ACorruptFileIsRefusedTheSameWayResidentOrMapped()
    {
        using var tmp = new TempDir();
        string path = tmp.File("truncated.gguf");
        byte[] whole = File.ReadAllBytes(Fixtures.Find("ggml/v4-tiny-llama-convert.gguf"));
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        var a = Assert.Throws<InvalidDataException>(() => GgufFile.Open(path, WeightsMemory.Mapped));
        var b = Assert.Throws<InvalidDataException>(() => GgufFile.Open(path, WeightsMemory.Resident));
        Assert.Equal(a.Message, b.Message);
        Assert.Contains(path, b.Message);
    }

    [Fact]
    public void ModesParseByNameOnly()
    {
        Assert.Equal(WeightsMemory.Auto, FileResidency.Parse("auto"));
        Assert.Equal(WeightsMemory.Mapped, FileResidency.Parse("mapped"));
        Assert.Equal(WeightsMemory.Resident, FileResidency.Parse("resident"));
        var e = Assert.Throws<ArgumentException>(() => FileResidency.Parse("Resident"));
        Assert.Contains("auto, mapped, resident", e.Message);
        Assert.False(FileResidency.ReadIntoMemory(1, WeightsMemory.Mapped));
        Assert.False(FileResidency.ReadIntoMemory(long.MaxValue / 4, WeightsMemory.Auto));   // never more than half of what is available
    }
}
