// Boundary: one GGUF file, memory-mapped read-only and validated on open (GgufParser); metadata,
// tensor infos and zero-copy spans of tensor bytes. Split sets are GgufModelFiles.
using System.IO.MemoryMappedFiles;

namespace SharpSeek.Formats.Gguf;

public sealed unsafe class GgufFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _accessor;
    private readonly byte* _base;
    private readonly Dictionary<string, GgufTensorInfo> _byName;
    private bool _disposed;

    private GgufFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? accessor, byte* basePtr, GgufParser.Parsed parsed)
    {
        Path = path;
        _map = map;
        _accessor = accessor;
        _base = basePtr;
        Version = parsed.Version;
        Metadata = parsed.Metadata;
        Tensors = parsed.Tensors;
        DataOffset = parsed.DataOffset;
        Alignment = parsed.Alignment;
        _byName = parsed.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public uint Version { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    /// <summary>File offset of the data section (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }
    public int Alignment { get; }

    /// <summary>Maps <paramref name="path"/> and validates it; throws <see cref="InvalidDataException"/> naming the file and the defect.</summary>
    public static GgufFile Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        long length = fs.Length;
        if (length < 24)
        {
            fs.Dispose();
            throw new InvalidDataException($"{path}: file is {length} bytes, too short for a GGUF header (24 bytes)");
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? accessor = null;
        bool acquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            accessor = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            acquired = true;
            p += accessor.PointerOffset;
            GgufParser.Parsed parsed = GgufParser.Parse(new GgufCursor(p, length, path));
            return new GgufFile(path, map, accessor, p, parsed);
        }
        catch
        {
            if (acquired) accessor!.SafeMemoryMappedViewHandle.ReleasePointer();
            accessor?.Dispose();
            map?.Dispose();
            fs.Dispose();
            throw;
        }
    }

    public bool TryGetTensor(string name, out GgufTensorInfo info) => _byName.TryGetValue(name, out info!);

    public GgufTensorInfo Tensor(string name) =>
        _byName.TryGetValue(name, out GgufTensorInfo? t) ? t : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>The bytes of <paramref name="t"/> from <paramref name="start"/>, <paramref name="count"/> of them (zero-copy).</summary>
    public ReadOnlySpan<byte> Bytes(GgufTensorInfo t, long start, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_byName.TryGetValue(t.Name, out GgufTensorInfo? own) || !ReferenceEquals(own, t)) throw new ArgumentException($"tensor '{t.Name}' is not from {Path}");
        if (start < 0 || count < 0 || start > t.ByteLength - count) throw new ArgumentOutOfRangeException(nameof(start), $"bytes [{start}, {start + count}) are outside '{t.Name}' ({t.ByteLength} bytes)");
        return new ReadOnlySpan<byte>(_base + DataOffset + t.Offset + start, count);
    }

    /// <summary>All bytes of a tensor under 2 GiB.</summary>
    public ReadOnlySpan<byte> Bytes(GgufTensorInfo t) =>
        t.ByteLength <= int.MaxValue ? Bytes(t, 0, (int)t.ByteLength) : throw new InvalidOperationException($"tensor '{t.Name}' is {t.ByteLength} bytes: read it in ranges");

    public GgufValue? Get(string key) => Metadata.TryGetValue(key, out GgufValue? v) ? v : null;

    public GgufValue Require(string key) => Get(key) ?? throw new InvalidDataException($"{Path}: metadata '{key}' is missing");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _accessor?.SafeMemoryMappedViewHandle.ReleasePointer();
        _accessor?.Dispose();
        _map?.Dispose();
    }

    public override string ToString() => $"{Path} (GGUF v{Version}, {Tensors.Count} tensors, {Metadata.Count} metadata keys)";
}
