// Boundary: vectorised decoding of the code-book formats IQ4_NL (32 elements), IQ4_XS (256) and MXFP4
// (32): the 32 nibbles of 16 packed bytes index the 16-entry book with one byte shuffle, the book
// values (all within a signed byte) widen to float, and each output is the twin's one product
// scale x value (IQ4_XS's sub-block scale d x (ls - 32) computed first as a scalar; MXFP4's 2^(e-128)
// as GgmlNonLinearBlocks.Mxfp4Scale), so the values equal the scalar twin bit for bit (tested). With
// AVX-512, MXFP4 instead permutes its scaled book (exact: the scale is a power of two). Callers check
// Avx2.IsSupported.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static SharpSeek.Tensors.Ggml.GgmlLanes;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlNonLinearBlocksFast
{
    // The IQ4 book (GgmlNonLinearBlocks.Iq4) in both 128-bit lanes, for the in-lane byte shuffle.
    private static Vector256<sbyte> Book => Vector256.Create(
        (sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

    // The MXFP4 book (E2M1 doubled, GgmlNonLinearBlocks.Mxfp4) in both lanes.
    private static Vector256<sbyte> Mxfp4Book => Vector256.Create(
        (sbyte)0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12,
        0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);

    public static void MXFP4(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlNonLinearBlocks.Mxfp4Scale(x[0]);
        Scale32(Lookup16(Mxfp4Book, Nibbles(x.Slice(1, 16))), d, d, y, 0);
    }

    public static void IQ4_NL(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        Scale32(Lookup16(Book, Nibbles(x.Slice(2, 16))), d, d, y, 0);
    }

    public static void IQ4_XS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        int scalesH = GgmlBlocks.U16(x, 2);
        ReadOnlySpan<byte> scalesL = x.Slice(4, 4);
        for (int ib = 0; ib < 8; ib++)
        {
            int ls = ((scalesL[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
            float dl = d * (ls - 32);
            Scale32(Lookup16(Book, Nibbles(x.Slice(8 + 16 * ib, 16))), dl, dl, y, 32 * ib);
        }
    }

    /// <summary>MXFP4 with AVX-512: the block's code book scaled once (exact: a power of two), then two 16-lane permutes by the nibbles.</summary>
    internal static void Mxfp4Permute(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var book = Vector512.Create(0f, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
        for (int b = 0; b < dst.Length / 32; b++)
        {
            ReadOnlySpan<byte> x = src.Slice(17 * b, 17);
            var scaled = book * Vector512.Create(GgmlNonLinearBlocks.Mxfp4Scale(x[0]));
            Vector512<uint> codes = Avx512F.ConvertToVector512UInt32(Vector128.Create(x.Slice(1, 16)));
            Avx512F.PermuteVar16x32(scaled, codes.AsInt32()).CopyTo(dst.Slice(32 * b, 16));   // low 4 index bits count
            Avx512F.PermuteVar16x32(scaled, Vector512.ShiftRightLogical(codes, 4).AsInt32()).CopyTo(dst.Slice(32 * b + 16, 16));
        }
    }
}
