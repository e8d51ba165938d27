// Boundary: vectorised decoding of every ggml block format into float32 panels for the matmul, one
// dispatch by type: the K formats decode in GgmlKBlocksFast, Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q8_K in
// GgmlLegacyBlocksFast, IQ4_NL/IQ4_XS/MXFP4 in GgmlNonLinearBlocksFast, the IQ grid formats in
// GgmlGridBlocksFast, TQ1_0/TQ2_0 in GgmlTernaryBlocksFast, F16/BF16/F32 in GgmlFloatsFast.
// Every output is the twin's float operations in GgmlBlocks' order, so the vector path equals its
// scalar twin bit for bit (tested); CPUs without AVX2 take the twin.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Ggml;

public static class GgmlBlocksFast
{
    public static bool IsVectorised(GgmlType type) =>
        Vector256.IsHardwareAccelerated && Avx2.IsSupported && GgmlBlocks.CanDequantize(type);

    /// <summary>Same contract and values as <see cref="GgmlBlocks.Dequantize"/>.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (!IsVectorised(type)) { GgmlBlocks.Dequantize(type, src, dst); return; }
        GgmlTypeInfo info = GgmlTypes.Info(type);
        if (dst.Length % info.BlockElements != 0 || src.Length != (long)dst.Length / info.BlockElements * info.BlockBytes)
        {
            GgmlBlocks.Dequantize(type, src, dst);   // the twin names the size error
            return;
        }
        switch (type)
        {
            case GgmlType.F32: GgmlFloatsFast.F32(src, dst); return;
            case GgmlType.F16: GgmlFloatsFast.F16(src, dst); return;
            case GgmlType.BF16: GgmlFloatsFast.BF16(src, dst); return;
        }
        if (info.BlockElements == 256)
        {
            for (int b = 0; b < dst.Length / 256; b++)
            {
                ReadOnlySpan<byte> x = src.Slice(b * info.BlockBytes, info.BlockBytes);
                Span<float> y = dst.Slice(256 * b, 256);
                switch (type)
                {
                    case GgmlType.Q2_K: GgmlKBlocksFast.Q2_K(x, y); break;
                    case GgmlType.Q4_K: GgmlKBlocksFast.Q4_K(x, y); break;
                    case GgmlType.Q6_K: GgmlKBlocksFast.Q6_K(x, y); break;
                    case GgmlType.Q3_K: GgmlKBlocksFast.Q3_K(x, y); break;
                    case GgmlType.Q5_K: GgmlKBlocksFast.Q5_K(x, y); break;
                    case GgmlType.Q8_K: GgmlLegacyBlocksFast.Q8_K(x, y); break;
                    case GgmlType.IQ4_XS: GgmlNonLinearBlocksFast.IQ4_XS(x, y); break;
                    case GgmlType.IQ2_XXS: GgmlGridBlocksFast.IQ2_XXS(x, y); break;
                    case GgmlType.IQ2_XS: GgmlGridBlocksFast.IQ2_XS(x, y); break;
                    case GgmlType.IQ2_S: GgmlGridBlocksFast.IQ2_S(x, y); break;
                    case GgmlType.IQ3_XXS: GgmlGridBlocksFast.IQ3_XXS(x, y); break;
                    case GgmlType.IQ3_S: GgmlGridBlocksFast.IQ3_S(x, y); break;
                    case GgmlType.IQ1_S: GgmlGridBlocksFast.IQ1_S(x, y); break;
                    case GgmlType.TQ1_0: GgmlTernaryBlocksFast.TQ1_0(x, y); break;
                    case GgmlType.TQ2_0: GgmlTernaryBlocksFast.TQ2_0(x, y); break;
                    default: GgmlGridBlocksFast.IQ1_M(x, y); break;
                }
            }
            return;
        }
        if (type == GgmlType.MXFP4 && Avx512F.IsSupported)
        {
            GgmlNonLinearBlocksFast.Mxfp4Permute(src, dst);
            return;
        }
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> x = src.Slice(b * info.BlockBytes, info.BlockBytes);
            Span<float> y = dst.Slice(32 * b, 32);
            switch (type)
            {
                case GgmlType.Q8_0: GgmlLegacyBlocksFast.Q8_0(x, y); break;
                case GgmlType.Q4_0: GgmlLegacyBlocksFast.Q4_0(x, y); break;
                case GgmlType.Q4_1: GgmlLegacyBlocksFast.Q4_1(x, y); break;
                case GgmlType.Q5_0: GgmlLegacyBlocksFast.Q5_0(x, y); break;
                case GgmlType.Q5_1: GgmlLegacyBlocksFast.Q5_1(x, y); break;
                case GgmlType.IQ4_NL: GgmlNonLinearBlocksFast.IQ4_NL(x, y); break;
                default: GgmlNonLinearBlocksFast.MXFP4(x, y); break;
            }
        }
    }
}
