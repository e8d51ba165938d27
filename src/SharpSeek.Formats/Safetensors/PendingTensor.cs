// Boundary: a tensor queued for writing (bytes in hand, or a callback that streams them later),
// validated on the way in, plus the byte-counting stream that checks a callback wrote exactly enough.
using SharpSeek.Tensors;

namespace SharpSeek.Formats.Safetensors;

internal sealed class PendingTensor
{
    private readonly byte[]? _data;
    private readonly Action<Stream>? _write;

    private PendingTensor(string name, DType dtype, long[] shape, long byteLength, byte[]? data, Action<Stream>? write)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        ByteLength = byteLength;
        _data = data;
        _write = write;
    }

    public string Name { get; }

    public DType DType { get; }

    public long[] Shape { get; }

    public long ByteLength { get; }

    public static PendingTensor FromBytes(string name, DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        CheckName(name);
        long bytes = TensorShape.ByteLengthOrThrow(name, dtype, shape, nameof(shape));
        if (bytes != data.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape {TensorShape.Format(shape)} × {dtype} ({dtype.Size()} B) needs {bytes} bytes, got {data.Length}", nameof(data));
        }
        return new PendingTensor(name, dtype, shape.ToArray(), bytes, data.ToArray(), null);
    }

    public static PendingTensor FromCallback(string name, DType dtype, ReadOnlySpan<long> shape, Action<Stream> write)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(write);
        long bytes = TensorShape.ByteLengthOrThrow(name, dtype, shape, nameof(shape));
        return new PendingTensor(name, dtype, shape.ToArray(), bytes, null, write);
    }

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafetensorsHeader.MetadataKey)
        {
            throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved and cannot be a tensor name", nameof(name));
        }
    }

    /// <summary>Copies the view's bytes at write time; its source must stay open until then.</summary>
    public static unsafe PendingTensor FromView(TensorView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new PendingTensor(view.Name, view.DType, view.Shape.ToArray(), view.ByteLength, null, s =>
        {
            using var src = new UnmanagedMemoryStream(view.Pointer, view.ByteLength);
            src.CopyTo(s, 1 << 20);
        });
    }

    public void WriteTo(Stream output, string path)
    {
        if (_data is not null)
        {
            output.Write(_data);
            return;
        }
        var counting = new CountingStream(output, ByteLength, Name, path);
        _write!(counting);
        if (counting.Written != ByteLength)
        {
            throw new InvalidOperationException(
                $"{path}: the writer for tensor '{Name}' produced {counting.Written} bytes, expected {ByteLength} for {DType} {TensorShape.Format(Shape)}");
        }
    }

    /// <summary>Write-only pass-through that refuses to exceed the declared tensor size.</summary>
    private sealed class CountingStream(Stream inner, long limit, string name, string path) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Written + buffer.Length > limit)
            {
                throw new InvalidOperationException(
                    $"{path}: the writer for tensor '{name}' wrote more than the declared {limit} bytes");
            }
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void WriteByte(byte value) => Write([value]);
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
