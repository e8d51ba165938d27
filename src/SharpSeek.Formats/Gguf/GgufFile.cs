// Boundary: one GGUF file, opened (FileBytes: mapped or resident) and validated on open (GgufParser); metadata,
// tensor infos and zero-copy spans of tensor bytes. Split sets are GgufModelFiles.

namespace SharpSeek.Formats.Gguf;

public sealed unsafe class GgufFile : IDisposable
{
    private readonly FileBytes _file;
    private readonly byte* _base;
    private readonly Dictionary<string, GgufTensorInfo> _byName;
    private bool _disposed;

    private GgufFile(FileBytes file, GgufParser.Parsed parsed)
    {
        Path = file.Path;
        _file = file;
        _base = file.Base;
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
    /// <summary>True when the file's bytes were read into memory (FileResidency), false when it is mapped.</summary>
    public bool IsResident => _file.Resident;

    /// <summary>Opens <paramref name="path"/> (mapped or read into memory as <paramref name="memory"/> asks) and validates it; throws <see cref="InvalidDataException"/> naming the file and the defect.</summary>
    public static GgufFile Open(string path, WeightsMemory memory = WeightsMemory.Auto)
    {
        path = System.IO.Path.GetFullPath(path);
        FileBytes file = FileBytes.Open(path, 24, n => $"file is {n} bytes, too short for a GGUF header (24 bytes)", memory);
        try { return new GgufFile(file, GgufParser.Parse(new GgufCursor(file.Base, file.Length, path))); }
        catch
        {
            file.Dispose();
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

    /// <summary>The first byte of <paramref name="t"/> in the mapping (valid until this file is disposed).</summary>
    public byte* Pointer(GgufTensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_byName.TryGetValue(t.Name, out GgufTensorInfo? own) || !ReferenceEquals(own, t)) throw new ArgumentException($"tensor '{t.Name}' is not from {Path}");
        return _base + DataOffset + t.Offset;
    }

    public bool IsDisposed => _disposed;

    /// <summary>All bytes of a tensor under 2 GiB.</summary>
    public ReadOnlySpan<byte> Bytes(GgufTensorInfo t) =>
        t.ByteLength <= int.MaxValue ? Bytes(t, 0, (int)t.ByteLength) : throw new InvalidOperationException($"tensor '{t.Name}' is {t.ByteLength} bytes: read it in ranges");

    public GgufValue? Get(string key) => Metadata.TryGetValue(key, out GgufValue? v) ? v : null;

    public GgufValue Require(string key) => Get(key) ?? throw new InvalidDataException($"{Path}: metadata '{key}' is missing");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file.Dispose();
    }

    public override string ToString() => $"{Path} (GGUF v{Version}, {Tensors.Count} tensors, {Metadata.Count} metadata keys)";
}
