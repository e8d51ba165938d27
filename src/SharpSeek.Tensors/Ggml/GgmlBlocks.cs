// Boundary: ggml block formats -> float32, one place that dispatches by type. Each format's
// decoding is written once, as plain scalar code in ggml's element order and float operation order,
// so its values are bit-identical to ggml's dequantize_row_* (tested against vectors made by ggml,
// tests/fixtures/ggml). Faster kernels for products with these weights get tested against these.
namespace SharpSeek.Tensors.Ggml;

public static class GgmlBlocks
{
    /// <summary>Whether <see cref="Dequantize"/> decodes <paramref name="type"/>.</summary>
    public static bool CanDequantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_K
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K
        or GgmlType.IQ4_NL or GgmlType.IQ4_XS or GgmlType.MXFP4
        or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S
        or GgmlType.IQ1_S or GgmlType.IQ1_M or GgmlType.TQ1_0 or GgmlType.TQ2_0;

    /// <summary>
    /// Decodes whole blocks: <paramref name="src"/> holds dst.Length / BlockElements blocks of
    /// <paramref name="type"/>; dst receives their values in ggml's order.
    /// </summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        if (dst.Length % info.BlockElements != 0) throw new ArgumentException($"{dst.Length} values are not whole {info.Name} blocks of {info.BlockElements}");
        int blocks = dst.Length / info.BlockElements;
        if (src.Length != (long)blocks * info.BlockBytes) throw new ArgumentException($"{info.Name}: {src.Length} bytes given for {blocks} blocks of {info.BlockBytes}");
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> x = src.Slice(b * info.BlockBytes, info.BlockBytes);
            Span<float> y = dst.Slice(b * info.BlockElements, info.BlockElements);
            switch (type)
            {
                case GgmlType.F32: y[0] = BitConverter.ToSingle(x); break;
                case GgmlType.F16: y[0] = Codecs.F16.Decode(U16(x, 0)); break;
                case GgmlType.BF16: y[0] = Codecs.Bf16.Decode(U16(x, 0)); break;
                case GgmlType.Q4_0: GgmlLegacyBlocks.Q4_0(x, y); break;
                case GgmlType.Q4_1: GgmlLegacyBlocks.Q4_1(x, y); break;
                case GgmlType.Q5_0: GgmlLegacyBlocks.Q5_0(x, y); break;
                case GgmlType.Q5_1: GgmlLegacyBlocks.Q5_1(x, y); break;
                case GgmlType.Q8_0: GgmlLegacyBlocks.Q8_0(x, y); break;
                case GgmlType.Q8_K: GgmlLegacyBlocks.Q8_K(x, y); break;
                case GgmlType.Q2_K: GgmlKBlocks.Q2_K(x, y); break;
                case GgmlType.Q3_K: GgmlKBlocks.Q3_K(x, y); break;
                case GgmlType.Q4_K: GgmlKBlocks.Q4_K(x, y); break;
                case GgmlType.Q5_K: GgmlKBlocks.Q5_K(x, y); break;
                case GgmlType.Q6_K: GgmlKBlocks.Q6_K(x, y); break;
                case GgmlType.IQ4_NL: GgmlNonLinearBlocks.IQ4_NL(x, y); break;
                case GgmlType.IQ4_XS: GgmlNonLinearBlocks.IQ4_XS(x, y); break;
                case GgmlType.MXFP4: GgmlNonLinearBlocks.MXFP4(x, y); break;
                case GgmlType.IQ2_XXS: GgmlGridBlocks.IQ2_XXS(x, y); break;
                case GgmlType.IQ2_XS: GgmlGridBlocks.IQ2_XS(x, y); break;
                case GgmlType.IQ2_S: GgmlGridBlocks.IQ2_S(x, y); break;
                case GgmlType.IQ3_XXS: GgmlGridBlocks.IQ3_XXS(x, y); break;
                case GgmlType.IQ3_S: GgmlGridBlocks.IQ3_S(x, y); break;
                case GgmlType.IQ1_S: GgmlGridBlocks.IQ1_S(x, y); break;
                case GgmlType.IQ1_M: GgmlGridBlocks.IQ1_M(x, y); break;
                case GgmlType.TQ1_0: GgmlGridBlocks.TQ1_0(x, y); break;
                case GgmlType.TQ2_0: GgmlGridBlocks.TQ2_0(x, y); break;
                default: throw new NotSupportedException($"dequantisation of ggml {info.Name} blocks is not implemented yet");
            }
        }
    }

    internal static ushort U16(ReadOnlySpan<byte> x, int at) => (ushort)(x[at] | x[at + 1] << 8);

    /// <summary>A little-endian f16 at byte <paramref name="at"/>.</summary>
    internal static float Half(ReadOnlySpan<byte> x, int at) => Codecs.F16.Decode(U16(x, at));
}
