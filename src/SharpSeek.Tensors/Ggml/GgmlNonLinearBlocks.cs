// Boundary: ggml's block formats with a fixed non-uniform code book, decoded as ggml does:
// IQ4_NL {f16 d; u8 qs[16]} and IQ4_XS {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]} over the
// 16-entry IQ4 code book; MXFP4 {u8 e (E8M0); u8 qs[16]} over E2M1 values doubled, scaled by 2^(e-128).
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlNonLinearBlocks
{
    // The IQ4 code book (values of the 4-bit codes), part of the format.
    private static ReadOnlySpan<sbyte> Iq4 => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
    // E2M1 values times two, so that they are integers; the block scale carries the half.
    internal static ReadOnlySpan<sbyte> Mxfp4 => [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

    public static void IQ4_NL(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 16);
        for (int j = 0; j < 16; j++)
        {
            y[j] = d * Iq4[qs[j] & 0xF];
            y[j + 16] = d * Iq4[qs[j] >> 4];
        }
    }

    public static void IQ4_XS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        int scalesH = GgmlBlocks.U16(x, 2);
        ReadOnlySpan<byte> scalesL = x.Slice(4, 4), qs = x.Slice(8, 128);
        for (int ib = 0; ib < 8; ib++)
        {
            int ls = ((scalesL[ib / 2] >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
            float dl = d * (ls - 32);
            ReadOnlySpan<byte> q = qs.Slice(16 * ib, 16);
            Span<float> yy = y.Slice(32 * ib, 32);
            for (int j = 0; j < 16; j++)
            {
                yy[j] = dl * Iq4[q[j] & 0xF];
                yy[j + 16] = dl * Iq4[q[j] >> 4];
            }
        }
    }

    /// <summary>2^(e-128) exactly: e >= 2 is a normal float, e = 0 and 1 the subnormals 2^-128 and 2^-127.</summary>
    internal static float Mxfp4Scale(int e) => BitConverter.Int32BitsToSingle(e < 2 ? 0x00200000 << e : (e - 1) << 23);

    public static void MXFP4(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = Mxfp4Scale(x[0]);
        ReadOnlySpan<byte> qs = x.Slice(1, 16);
        for (int j = 0; j < 16; j++)
        {
            y[j] = Mxfp4[qs[j] & 0xF] * d;
            y[j + 16] = Mxfp4[qs[j] >> 4] * d;
        }
    }
}
