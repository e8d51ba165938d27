// Boundary: a whole file memory-mapped read-only, with its base pointer acquired for the file's
// lifetime — the one way safetensors and GGUF files get at their bytes without copying them.
using System.IO.MemoryMappedFiles;

namespace SharpSeek.Formats;

internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _accessor;
    private bool _disposed;

    private MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor accessor, byte* basePtr)
    {
        Path = path;
        Length = length;
        _map = map;
        _accessor = accessor;
        Base = basePtr;
    }

    public string Path { get; }
    public long Length { get; }
    /// <summary>The first byte of the file; valid until Dispose.</summary>
    public byte* Base { get; }

    /// <summary>Maps <paramref name="path"/> (a full path); files shorter than <paramref name="minLength"/> are refused with <paramref name="tooShort"/>.</summary>
    public static MappedFile Open(string path, long minLength, Func<long, string> tooShort)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        long length = fs.Length;
        if (length < minLength)
        {
            fs.Dispose();
            throw new InvalidDataException($"{path}: {tooShort(length)}");
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? accessor = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            accessor = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(path, length, map, accessor, p + accessor.PointerOffset);
        }
        catch
        {
            accessor?.Dispose();
            map?.Dispose();
            fs.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
        _accessor.Dispose();
        _map.Dispose();
    }
}
