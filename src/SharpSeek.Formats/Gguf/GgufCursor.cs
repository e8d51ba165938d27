// Boundary: bounds-checked little-endian reads over a mapped GGUF file, each failure naming what
// was being read and where. The parser's only way to touch the bytes.
using System.Buffers.Binary;
using System.Text;

namespace SharpSeek.Formats.Gguf;

internal sealed unsafe class GgufCursor(byte* start, long length, string path)
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public long Position { get; private set; }
    public long Length => length;
    public long Remaining => length - Position;
    public string Path => path;

    public InvalidDataException Error(string message) => new($"{path}: {message}");

    private ReadOnlySpan<byte> Take(int n, string what)
    {
        if (n > Remaining) throw Error($"truncated at byte {Position} while reading {what} ({n} bytes needed, {Remaining} left)");
        var span = new ReadOnlySpan<byte>(start + Position, n);
        Position += n;
        return span;
    }

    public byte U8(string what) => Take(1, what)[0];
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A count stored as u64 that must fit in [0, <paramref name="max"/>].</summary>
    public long Count(string what, long max)
    {
        ulong n = U64(what);
        if (n > (ulong)max) throw Error($"{what} is {n}, more than {max} (at byte {Position - 8}; corrupt file?)");
        return (long)n;
    }

    /// <summary>A u64-length-prefixed UTF-8 string of at most <paramref name="maxBytes"/> bytes.</summary>
    public string String(string what, int maxBytes = 1 << 24)
    {
        long at = Position;
        long n = Count($"length of {what}", Math.Min(maxBytes, Remaining));
        try { return s_strictUtf8.GetString(Take((int)n, what)); }
        catch (DecoderFallbackException) { throw Error($"{what} at byte {at} is not valid UTF-8"); }
    }

    public void Seek(long position)
    {
        if (position < 0 || position > length) throw Error($"offset {position} is outside the file ({length} bytes)");
        Position = position;
    }
}
