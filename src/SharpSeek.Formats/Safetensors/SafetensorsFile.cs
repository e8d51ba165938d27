// Boundary: one safetensors file, its bytes at one base pointer (FileBytes). Mapped, opening reads only
// the 8-byte length and the JSON header and tensor bytes are paged in when a view is first touched;
// resident, the whole file is read into huge-page memory at open.
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SharpSeek.Formats.Safetensors;

/// <summary>A memory-mapped safetensors file with zero-copy <see cref="TensorView"/>s.</summary>
public sealed unsafe class SafetensorsFile : ITensorSource, ITensorMemoryOwner
{
    private readonly FileBytes _file;
    private readonly Dictionary<string, TensorView> _views;
    private readonly string[] _names;
    private bool _disposed;

    private SafetensorsFile(FileBytes file, Dictionary<string, TensorView> views, string[] names, IReadOnlyDictionary<string, string> metadata, long dataOffset)
    {
        Path = file.Path;
        _file = file;
        _views = views;
        _names = names;
        Metadata = metadata;
        DataOffset = dataOffset;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    public string Description => Path;

    /// <summary>The string map stored under <c>__metadata__</c> (empty if absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>File offset of the data section (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>Names in header order (HF writers sort them).</summary>
    public IEnumerable<string> Names => _names;

    public int Count => _names.Length;

    public bool IsDisposed => _disposed;

    /// <summary>True when the file's bytes were read into memory (FileResidency), false when it is mapped.</summary>
    public bool IsResident => _file.Resident;

    /// <summary>Opens <paramref name="path"/> (mapped or read into memory as <paramref name="memory"/> asks) and validates its header; throws <see cref="InvalidDataException"/> on any defect.</summary>
    public static SafetensorsFile Open(string path, WeightsMemory memory = WeightsMemory.Auto)
    {
        path = System.IO.Path.GetFullPath(path);
        FileBytes mapped = FileBytes.Open(path, 8, n => $"file is {n} bytes, shorter than the 8-byte header length", memory);
        try
        {
            byte* basePtr = mapped.Base;
            long fileLength = mapped.Length;
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePtr, 8));
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
            {
                throw SafetensorsErrors.Invalid(path,
                    $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit (corrupt file?)");
            }
            if ((long)headerLength > fileLength - 8)
            {
                throw SafetensorsErrors.Invalid(path, $"header length {headerLength} is larger than the rest of the file ({fileLength - 8} bytes)");
            }

            long dataOffset = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(path, new ReadOnlySpan<byte>(basePtr + 8, (int)headerLength), fileLength - dataOffset);

            var views = new Dictionary<string, TensorView>(header.Entries.Count, StringComparer.Ordinal);
            var names = new string[header.Entries.Count];
            var file = new SafetensorsFile(mapped, views, names, header.Metadata, dataOffset);
            byte* data = basePtr + dataOffset;
            for (int i = 0; i < names.Length; i++)
            {
                HeaderEntry e = header.Entries[i];
                names[i] = e.Name;
                views[e.Name] = new TensorView(e.Name, e.DType, e.Shape, e.ElementCount, e.ByteLength, data + e.Begin, file, path);
            }
            return file;
        }
        catch
        {
            mapped.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _views.ContainsKey(name);

    public bool TryGet(string name, [NotNullWhen(true)] out TensorView? view)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _views.TryGetValue(name, out view);
    }

    public TensorView Get(string name) =>
        TryGet(name, out TensorView? view) ? view : throw TensorSourceErrors.Missing(name, Path);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _file.Dispose();
    }

    public override string ToString() => $"{Path} ({_names.Length} tensors)";
}
