// Boundary: vectorised decoding of every ggml block format into float32 panels for the matmul, one
// dispatch by type. Q8_0, Q4_0 and MXFP4 (llama.cpp's V4 conversion) decode here; the K formats in
// GgmlKBlocksFast, Q4_1/Q5_0/Q5_1/Q8_K in GgmlLegacyBlocksFast, IQ4_NL/IQ4_XS in
// GgmlNonLinearBlocksFast, the IQ grid formats in GgmlGridBlocksFast, F16/BF16/F32 in GgmlFloatsFast.
// Every output is the twin's float operations in GgmlBlocks' order, so the vector path equals its
// scalar twin bit for bit (tested); TQ1_0/TQ2_0, and CPUs without AVX2, take the twin.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Ggml;

public static class GgmlBlocksFast
{
    public static bool IsVectorised(GgmlType type) =>
        Vector256.IsHardwareAccelerated && Avx2.IsSupported && type is not (GgmlType.TQ1_0 or GgmlType.TQ2_0) && GgmlBlocks.CanDequantize(type);

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
            case GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.IQ4_NL: Legacy(type, src, dst); return;
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
                    default: GgmlGridBlocksFast.IQ1_M(x, y); break;
                }
            }
            return;
        }
        if (type == GgmlType.MXFP4 && System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Mxfp4Permute(src, dst);
            return;
        }
        int blocks = dst.Length / 32;
        Span<float> codes = stackalloc float[32];
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> x = src.Slice(b * info.BlockBytes, info.BlockBytes);
            float d;
            switch (type)
            {
                case GgmlType.Q8_0:
                {
                    // 32 signed codes widened to float in vectors: sbyte -> short -> int -> float.
                    d = GgmlBlocks.Half(x, 0);
                    GgmlLanes.WidenSigned(Vector256.Create(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(x.Slice(2, 32))), codes);
                    break;
                }
                case GgmlType.Q4_0:
                    // nibble - 8 wraps to the signed code -8..7 in a byte
                    d = GgmlBlocks.Half(x, 0);
                    GgmlLanes.WidenSigned((GgmlLanes.Nibbles(x.Slice(2, 16)) - Vector256.Create((byte)8)).AsSByte(), codes);
                    break;
                default:   // MXFP4
                    d = GgmlNonLinearBlocks.Mxfp4Scale(x[0]);
                    ReadOnlySpan<sbyte> book = GgmlNonLinearBlocks.Mxfp4;
                    for (int j = 0; j < 16; j++) { codes[j] = book[x[1 + j] & 0xF]; codes[j + 16] = book[x[1 + j] >> 4]; }
                    break;
            }
            // 4. 32 products code x scale, eight lanes at a time                     [32]
            var scale = Vector256.Create(d);
            Span<float> y = dst.Slice(32 * b, 32);
            for (int j = 0; j < 32; j += 8) (Vector256.Create<float>(codes.Slice(j, 8)) * scale).CopyTo(y.Slice(j, 8));
        }
    }

    // The 32-element blocks that decode in GgmlLegacyBlocksFast / GgmlNonLinearBlocksFast.
    private static void Legacy(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        int bytes = GgmlTypes.Info(type).BlockBytes;
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> x = src.Slice(b * bytes, bytes);
            Span<float> y = dst.Slice(32 * b, 32);
            switch (type)
            {
                case GgmlType.Q4_1: GgmlLegacyBlocksFast.Q4_1(x, y); break;
                case GgmlType.Q5_0: GgmlLegacyBlocksFast.Q5_0(x, y); break;
                case GgmlType.Q5_1: GgmlLegacyBlocksFast.Q5_1(x, y); break;
                default: GgmlNonLinearBlocksFast.IQ4_NL(x, y); break;
            }
        }
    }

    /// <summary>MXFP4 with AVX-512: the block's code book scaled once (exact: a power of two), then two 16-lane permutes by the nibbles.</summary>
    private static void Mxfp4Permute(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var book = Vector512.Create(0f, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> x = src.Slice(17 * b, 17);
            var scaled = book * Vector512.Create(GgmlNonLinearBlocks.Mxfp4Scale(x[0]));
            Vector512<uint> codes = System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512UInt32(Vector128.Create(x.Slice(1, 16)));
            System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32(scaled, codes.AsInt32()).CopyTo(dst.Slice(32 * b, 16));   // low 4 index bits count
            System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32(scaled, Vector512.ShiftRightLogical(codes, 4).AsInt32()).CopyTo(dst.Slice(32 * b + 16, 16));
        }
    }
}
