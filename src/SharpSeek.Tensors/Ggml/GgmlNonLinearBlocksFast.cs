// Boundary: vectorised decoding of the IQ4 code-book formats IQ4_NL (32 elements) and IQ4_XS (256):
// the 32 nibbles of 16 packed bytes index the 16-entry IQ4 book with one byte shuffle, the book values
// (all within a signed byte) widen to float, and each output is the twin's one product scale x value
// (IQ4_XS's sub-block scale d x (ls - 32) computed first as a scalar, as GgmlNonLinearBlocks does), so
// the values equal the scalar twin bit for bit (tested). Callers check Avx2.IsSupported.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static SharpSeek.Tensors.Ggml.GgmlLanes;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlNonLinearBlocksFast
{
    // The IQ4 book (GgmlNonLinearBlocks.Iq4) in both 128-bit lanes, for the in-lane byte shuffle.
    private static Vector256<sbyte> Book => Vector256.Create(
        (sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

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
}
