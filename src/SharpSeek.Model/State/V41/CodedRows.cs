// Rows of sequence memory kept in their official storage format (bytes per row fixed), indexed by
// group, truncatable for exact rollback: V4.1's compressed KV (FP4 e2m1 + one E4M3 scale per 16) and
// index keys (FP4 e2m1 + one ue8m0 exponent per 32). Decoding gives back exactly the fake-quantised row.
namespace SharpSeek.Model.State.V41;

public sealed class CodedRows
{
    private byte[] _data = [];

    public int BytesPerRow { get; }
    public int Count { get; private set; }

    public CodedRows(int bytesPerRow) => BytesPerRow = bytesPerRow;

    /// <summary>Space for one more row, counted once written.</summary>
    public Span<byte> Append()
    {
        if ((Count + 1) * BytesPerRow > _data.Length) Array.Resize(ref _data, Math.Max(BytesPerRow * 16, _data.Length * 2));
        return _data.AsSpan(Count++ * BytesPerRow, BytesPerRow);
    }

    public ReadOnlySpan<byte> Row(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), $"row {i} of {Count}");
        return _data.AsSpan(i * BytesPerRow, BytesPerRow);
    }

    public void Truncate(int count)
    {
        if (count < 0 || count > Count) throw new ArgumentOutOfRangeException(nameof(count), $"cannot keep {count} of {Count} rows");
        Count = count;
    }

    public CodedRows Clone() => new(BytesPerRow) { _data = _data[..(Count * BytesPerRow)], Count = Count };

    public long Bytes => _data.Length;
}

/// <summary>The two V4.1 row formats: their byte layout, encoders and decoders.</summary>
public static class V41RowFormats
{
    /// <summary>Compressed KV: FP4 codes in blocks of 16 with one E4M3 scale each.</summary>
    public const int CompressedBlock = 16;

    public static int CompressedBytes(int headDim) => headDim / 2 + headDim / CompressedBlock;

    public static void EncodeCompressed<T>(ReadOnlySpan<T> row, Span<byte> dst) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => SharpSeek.Tensors.Kernels.Reference.FakeQuantFp4E4M3Reference.Encode(row, CompressedBlock, dst[..(row.Length / 2)], dst[(row.Length / 2)..]);

    public static void DecodeCompressed<T>(ReadOnlySpan<byte> src, Span<T> row) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => SharpSeek.Tensors.Kernels.Reference.FakeQuantFp4E4M3Reference.Decode(src[..(row.Length / 2)], src[(row.Length / 2)..], CompressedBlock, row);

    /// <summary>Index key: FP4 codes with one ue8m0 exponent per 32 (the V4 key layout).</summary>
    public static int KeyBytes(int indexHeadDim) => indexHeadDim / 2 + indexHeadDim / KvCodec.Fp4Block;

    public static void EncodeKey<T>(ReadOnlySpan<T> key, Span<byte> dst) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => KvCodec.EncodeFp4(key, dst[..(key.Length / 2)], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(dst[(key.Length / 2)..]));

    public static void DecodeKey<T>(ReadOnlySpan<byte> src, Span<T> key) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => KvCodec.DecodeFp4(src[..(key.Length / 2)], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(src[(key.Length / 2)..]), key);
}
