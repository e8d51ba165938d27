// Boundary: a zero-copy, read-only window onto one tensor's bytes inside a source that owns
// the memory (a mapped file or pinned array). It knows dtype and shape, nothing about models.
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

/// <summary>
/// One tensor inside an open <see cref="ITensorSource"/>. The bytes are little-endian and may be
/// unaligned (safetensors offsets carry no alignment guarantee). Every accessor throws
/// <see cref="ObjectDisposedException"/> once the owning source has been disposed.
/// </summary>
public sealed unsafe class TensorView
{
    private readonly long[] _shape;
    private readonly byte* _pointer;
    private readonly ITensorMemoryOwner _owner;

    internal TensorView(string name, DType dtype, long[] shape, long elementCount, long byteLength,
        byte* pointer, ITensorMemoryOwner owner, string sourceFile)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        ElementCount = elementCount;
        ByteLength = byteLength;
        _pointer = pointer;
        _owner = owner;
        SourceFile = sourceFile;
    }

    public string Name { get; }

    public DType DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => _shape;

    public int Rank => _shape.Length;

    /// <summary>Product of the dims (1 for a scalar, 0 if any dim is 0).</summary>
    public long ElementCount { get; }

    /// <summary><see cref="ElementCount"/> × dtype size.</summary>
    public long ByteLength { get; }

    /// <summary>The file the bytes live in (or the in-memory source's label).</summary>
    public string SourceFile { get; }

    /// <summary>Shape as "[4096, 1024]" (scalars: "[]").</summary>
    public string ShapeString => TensorShape.Format(_shape);

    /// <summary>First byte of the tensor; valid while the owning source is open.</summary>
    public byte* Pointer
    {
        get
        {
            ThrowIfDisposed();
            return _pointer;
        }
    }

    /// <summary>The raw bytes. Throws for tensors over <see cref="int.MaxValue"/> bytes: use <see cref="Pointer"/>.</summary>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            ThrowIfDisposed();
            if (ByteLength > int.MaxValue)
            {
                throw new InvalidOperationException(
                    $"tensor '{Name}' in {SourceFile} is {ByteLength} bytes, more than a span can hold ({int.MaxValue}); use Pointer instead");
            }
            return new ReadOnlySpan<byte>(_pointer, (int)ByteLength);
        }
    }

    /// <summary>Dim <paramref name="i"/> as an int; negative <paramref name="i"/> counts from the end.</summary>
    public int Dim(int i)
    {
        int k = i < 0 ? i + _shape.Length : i;
        if ((uint)k >= (uint)_shape.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(i), i, $"tensor '{Name}' has rank {Rank} (shape {ShapeString})");
        }
        long d = _shape[k];
        if (d > int.MaxValue)
        {
            throw new OverflowException($"tensor '{Name}' dim {i} = {d} does not fit an int");
        }
        return (int)d;
    }

    /// <summary>
    /// The elements reinterpreted as <typeparamref name="T"/>, which must have the dtype's size
    /// (e.g. ushort or Half for BF16, byte for F8_E4M3). Little-endian hosts only.
    /// </summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        if (sizeof(T) != DType.Size())
        {
            throw new InvalidOperationException(
                $"tensor '{Name}' is {DType} ({DType.Size()} bytes per element) but {typeof(T).Name} is {sizeof(T)} bytes");
        }
        if (!BitConverter.IsLittleEndian && sizeof(T) > 1)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian; this host is big-endian");
        }
        if (ElementCount > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"tensor '{Name}' in {SourceFile} has {ElementCount} elements, more than a span can hold; use Pointer instead");
        }
        ThrowIfDisposed();
        return new ReadOnlySpan<T>(_pointer, (int)ElementCount);
    }

    public override string ToString() => $"{Name} {DType} {ShapeString}";

    private void ThrowIfDisposed()
    {
        if (_owner.IsDisposed)
        {
            throw new ObjectDisposedException(_owner.Description, $"tensor '{Name}' was read after its checkpoint {_owner.Description} was disposed");
        }
    }
}
