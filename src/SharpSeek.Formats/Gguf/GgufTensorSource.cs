// Boundary: a GGUF model's tensors served under the caller's names, from one GGUF (or split set) or
// several (a model and its separate MTP file). The caller's tables map each name to a GGUF tensor, to
// one slice along its outermost dimension (one expert of a merged [n_expert, out, in] tensor), or to
// one of N equal parts along its innermost dimension (e_proj and h_proj of llama.cpp's concatenated
// nextn.eh_proj: that part is copied once into memory this source owns, since its rows are strided).
// Float and integer tensors are also plain TensorViews (zero-copy, shape outermost first); every
// tensor, quantised or not, is a GgmlTensor. No model knowledge here.
using System.Diagnostics.CodeAnalysis;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Gguf;

/// <summary>
/// Where a name lives: GGUF tensor <paramref name="GgufName"/>, whole (Slice -1) or its outermost slice <paramref name="Slice"/>;
/// with <paramref name="Part"/> >= 0, part <paramref name="Part"/> of <paramref name="Parts"/> equal parts along the innermost dimension.
/// <paramref name="Bytes"/>: a byte format ggml has no type for (FP8 E4M3 / E8M0 tables), stored as raw I8 and read back as this dtype.
/// </summary>
public readonly record struct GgufTensorRef(string GgufName, int Slice = -1, int Part = -1, int Parts = 1, DType? Bytes = null);

/// <summary>A tensor of ggml blocks in a mapped file: shape outermost first, rows of whole blocks.</summary>
public sealed unsafe class GgmlTensor(string name, GgmlTypeInfo type, long[] shape, byte* pointer, long byteLength, string sourceFile)
{
    public string Name { get; } = name;
    public GgmlTypeInfo Type { get; } = type;
    public IReadOnlyList<long> Shape { get; } = shape;
    public byte* Pointer { get; } = pointer;
    public long ByteLength { get; } = byteLength;
    public string SourceFile { get; } = sourceFile;
    public string ShapeString => TensorShape.Format(shape);
}

/// <summary>A tensor source that can hand out tensors as ggml blocks (quantised weights).</summary>
public interface IGgmlTensorSource
{
    bool TryGetGgml(string name, [NotNullWhen(true)] out GgmlTensor? tensor);
}

public sealed unsafe class GgufTensorSource : ITensorSource, IGgmlTensorSource, ITensorMemoryOwner
{
    private readonly (GgufModelFiles Files, IReadOnlyDictionary<string, GgufTensorRef> Table)[] _sources;
    private readonly bool _ownsFiles;
    private readonly Dictionary<string, GgmlTensor> _parts = new(StringComparer.Ordinal);
    private readonly List<nint> _owned = [];
    private bool _disposed;

    /// <summary>Serves <paramref name="table"/>'s names from <paramref name="files"/> (disposed with this source when <paramref name="ownsFiles"/>).</summary>
    public GgufTensorSource(GgufModelFiles files, IReadOnlyDictionary<string, GgufTensorRef> table, bool ownsFiles = true)
        : this([(files, table)], ownsFiles) { }

    /// <summary>Serves each table's names from its files (the first table that has a name wins); the first files describe the source.</summary>
    public GgufTensorSource(IReadOnlyList<(GgufModelFiles Files, IReadOnlyDictionary<string, GgufTensorRef> Table)> sources, bool ownsFiles = true)
    {
        if (sources.Count == 0) throw new ArgumentException("no GGUF files", nameof(sources));
        _sources = [.. sources]; _ownsFiles = ownsFiles;
        Description = string.Join(" + ", sources.Select(s => s.Files.Parts[0].Path));
    }

    /// <summary>The (first) model's files: its metadata and vocabulary.</summary>
    public GgufModelFiles Files => _sources[0].Files;
    public string Description { get; }
    public bool IsDisposed => _disposed;
    public IEnumerable<string> Names => _sources.SelectMany(s => s.Table.Keys).Distinct(StringComparer.Ordinal).Where(Contains);

    public bool Contains(string name) => Locate(name, out _, out _, out _);

    private bool Locate(string name, out GgufTensorRef r, out GgufFile file, out GgufTensorInfo info)
    {
        foreach (var (files, table) in _sources)
            if (table.TryGetValue(name, out r) && files.TryGet(r.GgufName, out file, out info)) return true;
        r = default; file = null!; info = null!;
        return false;
    }

    public bool TryGetGgml(string name, [NotNullWhen(true)] out GgmlTensor? tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        tensor = null;
        if (!Locate(name, out GgufTensorRef r, out GgufFile file, out GgufTensorInfo info)) return false;
        if (r.Part >= 0) return TryGetPart(name, r, file, info, out tensor);
        long[] shape = info.Shape;
        byte* p = file.Pointer(info);
        long bytes = info.ByteLength;
        if (r.Slice >= 0)
        {
            if (shape.Length < 2 || r.Slice >= shape[0])
                throw new InvalidDataException($"{file.Path}: '{r.GgufName}' {TensorShape.Format(shape)} has no slice {r.Slice} along its outermost dimension (for '{name}')");
            bytes /= shape[0];
            p += bytes * r.Slice;
            shape = shape[1..];
        }
        tensor = new GgmlTensor(name, info.Type, shape, p, bytes, file.Path);
        return true;
    }

    public bool TryGet(string name, [NotNullWhen(true)] out TensorView? view)
    {
        view = null;
        if (!TryGetGgml(name, out GgmlTensor? t)) return false;
        DType? bytesAs = _sources.Select(s => s.Table.TryGetValue(name, out var r) ? r.Bytes : null).FirstOrDefault(b => b is not null);
        if (bytesAs is { } raw && t.Type.Type != GgmlType.I8)
            throw new InvalidDataException($"{t.SourceFile}: {GgufNameOf(name)} (for '{name}') is {t.Type.Name}; its {raw} bytes are stored as I8");
        DType dtype = bytesAs ?? t.Type.Type switch
        {
            GgmlType.F32 => DType.F32, GgmlType.F16 => DType.F16, GgmlType.BF16 => DType.BF16, GgmlType.F64 => DType.F64,
            GgmlType.I8 => DType.I8, GgmlType.I16 => DType.I16, GgmlType.I32 => DType.I32, GgmlType.I64 => DType.I64,
            _ => throw new InvalidDataException($"{t.SourceFile}: {GgufNameOf(name)} (for '{name}') is {t.Type.Name} blocks, which this tensor cannot be"),
        };
        long elements = t.Shape.Aggregate(1L, (a, b) => a * b);
        view = new TensorView(name, dtype, t.Shape.ToArray(), elements, t.ByteLength, t.Pointer, this, t.SourceFile);
        return true;
    }

    public TensorView Get(string name) =>
        TryGet(name, out TensorView? v) ? v : throw new KeyNotFoundException($"tensor '{name}' ({GgufNameOf(name)}) not found in {Description}");

    private string GgufNameOf(string name) =>
        _sources.Select(s => s.Table.TryGetValue(name, out var r) ? "GGUF '" + r.GgufName + "'" : null).FirstOrDefault(n => n is not null) ?? "no GGUF name";

    // Part r.Part of r.Parts along the innermost dimension: each row's share of whole blocks, copied once.
    private bool TryGetPart(string name, GgufTensorRef r, GgufFile file, GgufTensorInfo info, [NotNullWhen(true)] out GgmlTensor? tensor)
    {
        lock (_parts)
        {
            if (_parts.TryGetValue(name, out tensor)) return true;
            long[] shape = info.Shape;
            long inner = shape[^1], rows = info.Elements / inner;
            if (r.Parts < 2 || r.Part >= r.Parts || inner % r.Parts != 0 || inner / r.Parts % info.Type.BlockElements != 0)
                throw new InvalidDataException($"{file.Path}: '{r.GgufName}' {TensorShape.Format(shape)} ({info.Type.Name}) does not split into {r.Parts} parts of whole blocks along its rows (for '{name}')");
            long rowBytes = info.ByteLength / rows, partBytes = rowBytes / r.Parts;
            byte* copy = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(partBytes * rows));
            _owned.Add((nint)copy);
            byte* src = file.Pointer(info) + partBytes * r.Part;
            for (long i = 0; i < rows; i++) Buffer.MemoryCopy(src + i * rowBytes, copy + i * partBytes, partBytes, partBytes);
            shape[^1] = inner / r.Parts;
            tensor = new GgmlTensor(name, info.Type, shape, copy, partBytes * rows, file.Path);
            _parts[name] = tensor;
            return true;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (nint p in _owned) System.Runtime.InteropServices.NativeMemory.Free((void*)p);
        _owned.Clear();
        if (_ownsFiles) foreach (var (files, _) in _sources) files.Dispose();
    }
}
