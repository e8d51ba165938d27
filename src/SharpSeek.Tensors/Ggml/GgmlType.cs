// Boundary: ggml's tensor element types as GGUF files number them, and the one table of their
// block geometry (elements per block, bytes per block). Knows nothing of how blocks decode.
using System.Collections.Frozen;

namespace SharpSeek.Tensors.Ggml;

/// <summary>ggml_type ids as stored in GGUF tensor infos (gaps are ids ggml retired).</summary>
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
}

/// <summary>Block geometry of one type: a row of n elements takes n / BlockElements * BlockBytes bytes.</summary>
public readonly record struct GgmlTypeInfo(GgmlType Type, string Name, int BlockElements, int BlockBytes);

public static class GgmlTypes
{
    private static readonly FrozenDictionary<uint, GgmlTypeInfo> s_table = new GgmlTypeInfo[]
    {
        new(GgmlType.F32, "F32", 1, 4), new(GgmlType.F16, "F16", 1, 2), new(GgmlType.BF16, "BF16", 1, 2), new(GgmlType.F64, "F64", 1, 8),
        new(GgmlType.I8, "I8", 1, 1), new(GgmlType.I16, "I16", 1, 2), new(GgmlType.I32, "I32", 1, 4), new(GgmlType.I64, "I64", 1, 8),
        new(GgmlType.Q4_0, "Q4_0", 32, 18), new(GgmlType.Q4_1, "Q4_1", 32, 20), new(GgmlType.Q5_0, "Q5_0", 32, 22), new(GgmlType.Q5_1, "Q5_1", 32, 24),
        new(GgmlType.Q8_0, "Q8_0", 32, 34), new(GgmlType.Q8_1, "Q8_1", 32, 36),
        new(GgmlType.Q2_K, "Q2_K", 256, 84), new(GgmlType.Q3_K, "Q3_K", 256, 110), new(GgmlType.Q4_K, "Q4_K", 256, 144),
        new(GgmlType.Q5_K, "Q5_K", 256, 176), new(GgmlType.Q6_K, "Q6_K", 256, 210), new(GgmlType.Q8_K, "Q8_K", 256, 292),
        new(GgmlType.IQ2_XXS, "IQ2_XXS", 256, 66), new(GgmlType.IQ2_XS, "IQ2_XS", 256, 74), new(GgmlType.IQ2_S, "IQ2_S", 256, 82),
        new(GgmlType.IQ3_XXS, "IQ3_XXS", 256, 98), new(GgmlType.IQ3_S, "IQ3_S", 256, 110),
        new(GgmlType.IQ1_S, "IQ1_S", 256, 50), new(GgmlType.IQ1_M, "IQ1_M", 256, 56),
        new(GgmlType.IQ4_NL, "IQ4_NL", 32, 18), new(GgmlType.IQ4_XS, "IQ4_XS", 256, 136),
        new(GgmlType.TQ1_0, "TQ1_0", 256, 54), new(GgmlType.TQ2_0, "TQ2_0", 256, 66), new(GgmlType.MXFP4, "MXFP4", 32, 17),
    }.ToFrozenDictionary(i => (uint)i.Type);

    /// <summary>The geometry of type id <paramref name="id"/>, or false for an id this reader does not know.</summary>
    public static bool TryGet(uint id, out GgmlTypeInfo info) => s_table.TryGetValue(id, out info);

    public static GgmlTypeInfo Info(GgmlType type) =>
        s_table.TryGetValue((uint)type, out GgmlTypeInfo i) ? i : throw new ArgumentOutOfRangeException(nameof(type), $"unknown ggml type {(uint)type}");

    /// <summary>
    /// Bytes of a tensor whose innermost dimension is <paramref name="rowElements"/> and which has
    /// <paramref name="elements"/> in all; null when the row is not a whole number of blocks or the size overflows.
    /// </summary>
    public static long? ByteSize(GgmlTypeInfo info, long rowElements, long elements)
    {
        if (rowElements % info.BlockElements != 0) return null;
        long blocks = elements / info.BlockElements;
        return blocks > long.MaxValue / info.BlockBytes ? null : blocks * info.BlockBytes;
    }
}
