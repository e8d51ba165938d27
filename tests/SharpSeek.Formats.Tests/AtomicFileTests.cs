// Temp-then-rename writes: a killed writer's temp file is removed when the next save starts in that
// directory (but not a live writer's, nor files that are not ours); a failed write leaves nothing.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Tests;

public sealed class AtomicFileTests
{
    [Theory]
    [InlineData(".model.safetensors.0123456789abcdef0123456789abcdef.tmp", true)]
    [InlineData(".config.json.ffffffffffffffffffffffffffffffff.tmp", true)]
    [InlineData("model.safetensors.tmp", false)]
    [InlineData(".notes.tmp", false)]
    [InlineData(".x.0123456789ABCDEF0123456789abcdef.tmp", false)]
    public void TempNamesAreRecognised(string name, bool ours) => Assert.Equal(ours, AtomicFile.IsTempName(name));

    [Fact]
    public void StaleTempFilesOfAKilledExportAreCleanedWhenTheNextSaveStarts()
    {
        using var dir = new TempDir();
        string stale = dir.File($".model.safetensors.{Guid.NewGuid():N}.tmp");
        string live = dir.File($".model-2.safetensors.{Guid.NewGuid():N}.tmp");
        string user = dir.File("notes.tmp");
        foreach (string f in new[] { stale, live, user }) File.WriteAllBytes(f, new byte[100]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(user, DateTime.UtcNow.AddHours(-1));

        var w = new SafetensorsWriter();
        w.Add("x", DType.F32, [2], new byte[8]);
        w.Save(dir.File("model.safetensors"));

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));    // a writer still at work keeps its file
        Assert.True(File.Exists(user));    // not a name AtomicFile gives
        Assert.True(File.Exists(dir.File("model.safetensors")));
    }

    [Fact]
    public void AFailedWriteLeavesNoTempFileAndKeepsTheOldFile()
    {
        using var dir = new TempDir();
        string path = dir.File("state.bin");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, fs => { fs.WriteByte(1); throw new InvalidOperationException("killed"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
