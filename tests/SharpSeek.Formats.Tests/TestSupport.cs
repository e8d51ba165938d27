// Boundary: helpers shared by the Formats tests: a self-deleting temp directory, a raw
// safetensors byte builder for hand-corrupted files, and the repository fixture locator.
using System.Buffers.Binary;
using System.Text;

namespace SharpSeek.Formats.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sharpseek-formats-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class RawSafetensors
{
    /// <summary>8-byte little-endian length + the header text as UTF-8 + <paramref name="data"/>.</summary>
    public static byte[] Build(string headerJson, byte[]? data = null) => Build(Encoding.UTF8.GetBytes(headerJson), data);

    public static byte[] Build(byte[] header, byte[]? data = null)
    {
        data ??= [];
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Reads the JSON header text of a safetensors file.</summary>
    public static string ReadHeader(string path, out long headerLength)
    {
        byte[] all = System.IO.File.ReadAllBytes(path);
        headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(all);
        return Encoding.UTF8.GetString(all, 8, (int)headerLength);
    }
}

internal static class Fixtures
{
    /// <summary>Finds tests/fixtures/&lt;relative&gt; by walking up from the test binary.</summary>
    public static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"fixture tests/fixtures/{relative} not found above {AppContext.BaseDirectory}");
    }

    public static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
