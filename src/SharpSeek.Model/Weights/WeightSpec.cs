// What the architecture expects to find in a checkpoint: one tensor's name, dtype and shape; how a
// linear's weight is stored (LinearKind); and how values are encoded into that storage
// (WeightEncoding), for every writer of the official layout (init-random, the trainer's export).
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.Weights;

public sealed record WeightSpec(string Name, DType DType, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
    public long Bytes => Elements * DType.Size();
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>How a linear layer's weight is stored.</summary>
public enum LinearKind
{
    /// <summary>FP8 e4m3 with 128x128 ue8m0 scales when the checkpoint is FP8, else BF16.</summary>
    Dense,
    /// <summary>Routed expert: FP4 (I8 packed) with 1x32 scales, or as Dense, per config.expert_dtype.</summary>
    Expert,
    /// <summary>Always BF16 (compressor wkv/wgate, indexer weights_proj, gate, embed, head).</summary>
    Bf16,
    /// <summary>F32 (mHC mixing matrices).</summary>
    F32,
}

/// <summary>Float values -> the bytes the official layout stores for a tensor (the one encoder of every checkpoint writer).</summary>
public static class WeightEncoding
{
    /// <summary>
    /// values [rows, cols] (the logical matrix, see WeightInit.Logical) stored as <paramref name="storage"/>:
    /// FP8 e4m3 codes (128x128 blocks), packed FP4 e2m1 (1x32 blocks, low nibble first), BF16 or F32.
    /// </summary>
    public static byte[] Encode(DType storage, float[] values, int rows, int cols) => storage switch
    {
        DType.F8_E4M3 => WeightQuantizer.QuantizeFp8Block128(values, rows, cols).Codes,
        DType.I8 => WeightQuantizer.QuantizeFp4Block32(values, rows, cols).Packed,
        DType.BF16 => WeightQuantizer.ToBf16Bytes(values),
        DType.F32 => F32Bytes(values),
        _ => throw new NotSupportedException($"no float encoding into {storage}"),
    };

    /// <summary>The ue8m0 block scales (the <c>.scale</c> tensor) of a weight stored as FP8 (128x128) or FP4 (1x32).</summary>
    public static byte[] Scales(DType storage, float[] values, int rows, int cols) => storage switch
    {
        DType.F8_E4M3 => WeightQuantizer.QuantizeFp8Block128(values, rows, cols).Scales,
        DType.I8 => WeightQuantizer.QuantizeFp4Block32(values, rows, cols).Scales,
        _ => throw new NotSupportedException($"a {storage} weight has no block scales"),
    };

    /// <summary>An integer table (tid2eid) as little-endian I64.</summary>
    public static byte[] I64(int[] table)
    {
        var bytes = new byte[table.Length * 8];
        for (int i = 0; i < table.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8, 8), (long)table[i]);
        return bytes;
    }

    private static byte[] F32Bytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
