// Boundary: a GGUF model's tensors served under the caller's names. The caller's table maps each
// name to a GGUF tensor, or to one slice along its outermost dimension (one expert of a merged
// [n_expert, out, in] tensor). Float and integer tensors are also plain TensorViews (zero-copy,
// shape outermost first); every tensor, quantised or not, is a GgmlTensor. No model knowledge here.
using System.Diagnostics.CodeAnalysis;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Formats.Gguf;

/// <summary>
/// Where a name lives: GGUF tensor <paramref name="GgufName"/>, whole (Slice -1) or its outermost slice <paramref name="Slice"/>.
/// <paramref name="Bytes"/>: a byte format ggml has no type for (FP8 E4M3 / E8M0 tables), stored as raw I8 and read back as this dtype.
/// </summary>
public readonly record struct GgufTensorRef(string GgufName, int Slice = -1, DType? Bytes = null);

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
    private readonly GgufModelFiles _files;
    private readonly IReadOnlyDictionary<string, GgufTensorRef> _table;
    private readonly bool _ownsFiles;
    private bool _disposed;

    /// <summary>Serves <paramref name="table"/>'s names from <paramref name="files"/> (disposed with this source when <paramref name="ownsFiles"/>).</summary>
    public GgufTensorSource(GgufModelFiles files, IReadOnlyDictionary<string, GgufTensorRef> table, bool ownsFiles = true)
    {
        _files = files; _table = table; _ownsFiles = ownsFiles;
        Description = files.Parts[0].Path;
    }

    public GgufModelFiles Files => _files;
    public string Description { get; }
    public bool IsDisposed => _disposed;
    public IEnumerable<string> Names => _table.Keys.Where(Contains);

    public bool Contains(string name) => _table.TryGetValue(name, out GgufTensorRef r) && _files.TryGet(r.GgufName, out _, out _);

    public bool TryGetGgml(string name, [NotNullWhen(true)] out GgmlTensor? tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        tensor = null;
        if (!_table.TryGetValue(name, out GgufTensorRef r) || !_files.TryGet(r.GgufName, out GgufFile file, out GgufTensorInfo info)) return false;
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
        GgufTensorRef r = _table[name];
        if (r.Bytes is { } raw && t.Type.Type != GgmlType.I8)
            throw new InvalidDataException($"{t.SourceFile}: '{r.GgufName}' (for '{name}') is {t.Type.Name}; its {raw} bytes are stored as I8");
        DType dtype = r.Bytes ?? t.Type.Type switch
        {
            GgmlType.F32 => DType.F32, GgmlType.F16 => DType.F16, GgmlType.BF16 => DType.BF16, GgmlType.F64 => DType.F64,
            GgmlType.I8 => DType.I8, GgmlType.I16 => DType.I16, GgmlType.I32 => DType.I32, GgmlType.I64 => DType.I64,
            _ => throw new InvalidDataException($"{t.SourceFile}: '{_table[name].GgufName}' (for '{name}') is {t.Type.Name} blocks, which this tensor cannot be"),
        };
        long elements = t.Shape.Aggregate(1L, (a, b) => a * b);
        view = new TensorView(name, dtype, t.Shape.ToArray(), elements, t.ByteLength, t.Pointer, this, t.SourceFile);
        return true;
    }

    public TensorView Get(string name) =>
        TryGet(name, out TensorView? v) ? v : throw new KeyNotFoundException($"tensor '{name}' ({(_table.TryGetValue(name, out var r) ? "GGUF '" + r.GgufName + "'" : "no GGUF name")}) not found in {Description}");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsFiles) _files.Dispose();
    }
}
