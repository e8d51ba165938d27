// Boundary: ggml's 32-element block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) and Q8_K, decoded as
// ggml does. Layouts: Q4_0 {f16 d; u8 qs[16]}, Q4_1 {f16 d, m; qs[16]}, Q5_0 {f16 d; u8 qh[4]; qs[16]},
// Q5_1 {f16 d, m; qh[4]; qs[16]}, Q8_0 {f16 d; i8 qs[32]}, Q8_K {f32 d; i8 qs[256]; i16 bsums[16]}.
// Nibble blocks put element j in the low nibble of qs[j] and element j + 16 in its high nibble.
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlLegacyBlocks
{
    public static void Q4_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 16);
        for (int j = 0; j < 16; j++)
        {
            y[j] = ((qs[j] & 0x0F) - 8) * d;
            y[j + 16] = ((qs[j] >> 4) - 8) * d;
        }
    }

    public static void Q4_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), m = GgmlBlocks.Half(x, 2);
        ReadOnlySpan<byte> qs = x.Slice(4, 16);
        for (int j = 0; j < 16; j++)
        {
            y[j] = (qs[j] & 0x0F) * d + m;
            y[j + 16] = (qs[j] >> 4) * d + m;
        }
    }

    public static void Q5_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        uint qh = BitConverter.ToUInt32(x.Slice(2, 4));
        ReadOnlySpan<byte> qs = x.Slice(6, 16);
        for (int j = 0; j < 16; j++)
        {
            int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = (((qs[j] & 0x0F) | h0) - 16) * d;
            y[j + 16] = (((qs[j] >> 4) | h1) - 16) * d;
        }
    }

    public static void Q5_1(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0), m = GgmlBlocks.Half(x, 2);
        uint qh = BitConverter.ToUInt32(x.Slice(4, 4));
        ReadOnlySpan<byte> qs = x.Slice(8, 16);
        for (int j = 0; j < 16; j++)
        {
            int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
            y[j] = ((qs[j] & 0x0F) | h0) * d + m;
            y[j + 16] = ((qs[j] >> 4) | h1) * d + m;
        }
    }

    public static void Q8_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        for (int j = 0; j < 32; j++) y[j] = (sbyte)x[2 + j] * d;
    }

    public static void Q8_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = BitConverter.ToSingle(x[..4]);
        for (int j = 0; j < 256; j++) y[j] = d * (sbyte)x[4 + j];
    }
}
