// Boundary: a tensor source whose bytes live in pinned managed arrays, for tests, training and
// export. Same contract as a mapped file: stable pointers, views die with the source.
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

/// <summary>Tensors held in memory on the pinned object heap, so <see cref="TensorView.Pointer"/> is stable.</summary>
public sealed unsafe class InMemoryTensorSource : ITensorSource, ITensorMemoryOwner
{
    private readonly Dictionary<string, TensorView> _views = new(StringComparer.Ordinal);
    private readonly List<string> _names = new();
    // Keeps the pinned buffers reachable for as long as views may point into them.
    private readonly List<byte[]> _buffers = new();
    private bool _disposed;

    public InMemoryTensorSource(string description = "<in-memory>")
    {
        Description = description;
    }

    /// <summary>Builds a source from (name, dtype, shape, bytes) entries; the bytes are copied.</summary>
    public InMemoryTensorSource(IEnumerable<(string Name, DType DType, long[] Shape, byte[] Data)> entries,
        string description = "<in-memory>")
        : this(description)
    {
        foreach (var (name, dtype, shape, data) in entries)
        {
            Add(name, dtype, shape, data);
        }
    }

    public string Description { get; }

    /// <summary>Names in the order they were added.</summary>
    public IEnumerable<string> Names => _names;

    public int Count => _names.Count;

    public bool IsDisposed => _disposed;

    /// <summary>Copies <paramref name="data"/> into pinned memory and returns its view.</summary>
    public TensorView Add(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(name);
        if (_views.ContainsKey(name))
        {
            throw new ArgumentException($"tensor '{name}' is already in {Description}", nameof(name));
        }
        long bytes = TensorShape.ByteLengthOrThrow(name, dtype, shape, nameof(shape));
        if (bytes != data.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape {TensorShape.Format(shape)} × {dtype} needs {bytes} bytes, got {data.Length}", nameof(data));
        }

        // Length >= 1 so even a zero-sized tensor has a real, pinned address.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(Math.Max(1, data.Length), pinned: true);
        data.CopyTo(buffer);
        _buffers.Add(buffer);
        byte* ptr = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        TensorShape.TryElementCount(shape, out long elements);
        var view = new TensorView(name, dtype, shape.ToArray(), elements, bytes, ptr, this, Description);
        _views.Add(name, view);
        _names.Add(name);
        return view;
    }

    /// <summary>Adds typed elements; <typeparamref name="T"/> must match the dtype's size.</summary>
    public TensorView AddElements<T>(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (sizeof(T) != dtype.Size())
        {
            throw new ArgumentException($"tensor '{name}': {typeof(T).Name} is {sizeof(T)} bytes but {dtype} is {dtype.Size()}", nameof(values));
        }
        return Add(name, dtype, shape, MemoryMarshal.AsBytes(values));
    }

    public bool Contains(string name) => _views.ContainsKey(name);

    public bool TryGet(string name, [NotNullWhen(true)] out TensorView? view)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _views.TryGetValue(name, out view);
    }

    public TensorView Get(string name) =>
        TryGet(name, out TensorView? view) ? view : throw TensorSourceErrors.Missing(name, Description);

    public void Dispose()
    {
        _disposed = true;
        _buffers.Clear();
    }
}
