// Boundary: ggml's lattice-grid formats and ternary formats, decoded as ggml does. Grid entries come
// from GgmlGrids; sign patterns are 7 stored bits plus an 8th that makes the count of set bits even.
// Layouts (256 elements): IQ2_XXS {f16 d; u16 qs[32]}, IQ2_XS {f16 d; u16 qs[32]; u8 scales[8]},
// IQ2_S {f16 d; u8 qs[64]; u8 qh[8]; u8 scales[8]}, IQ3_XXS {f16 d; u8 qs[96]},
// IQ3_S {f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]}, IQ1_S {f16 d; u8 qs[32]; u16 qh[8]},
// IQ1_M {u8 qs[32]; u8 qh[16]; u8 scales[8]}, TQ1_0 {u8 qs[48]; u8 qh[4]; f16 d}, TQ2_0 {u8 qs[64]; f16 d}.
namespace SharpSeek.Tensors.Ggml;

internal static class GgmlGridBlocks
{
    private const float Iq1Delta = 0.125f;

    // The 8-bit sign mask of a 7-bit stored pattern: bit 7 completes an even number of negatives.
    internal static int Signs(int seven) => seven | ((System.Numerics.BitOperations.PopCount((uint)seven) & 1) << 7);

    private static float Sign(int signs, int j) => (signs & (1 << j)) != 0 ? -1f : 1f;

    public static void IQ2_XXS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        for (int ib = 0; ib < 8; ib++)
        {
            ReadOnlySpan<byte> q = x.Slice(2 + 8 * ib, 8);
            uint aux1 = BitConverter.ToUInt32(q[4..]);
            float db = d * (0.5f + (aux1 >> 28)) * 0.25f;
            for (int l = 0; l < 4; l++)
            {
                ReadOnlySpan<byte> grid = GgmlGrids.Iq2Xxs.AsSpan(8 * q[l], 8);
                int signs = Signs((int)(aux1 >> (7 * l)) & 127);
                for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = db * grid[j] * Sign(signs, j);
            }
        }
    }

    public static void IQ2_XS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> scales = x.Slice(66, 8);
        for (int ib = 0; ib < 8; ib++)
        {
            float db0 = d * (0.5f + (scales[ib] & 0xF)) * 0.25f, db1 = d * (0.5f + (scales[ib] >> 4)) * 0.25f;
            for (int l = 0; l < 4; l++)
            {
                int q = GgmlBlocks.U16(x, 2 + 2 * (4 * ib + l));
                ReadOnlySpan<byte> grid = GgmlGrids.Iq2Xs.AsSpan(8 * (q & 511), 8);
                int signs = Signs(q >> 9);
                float db = l < 2 ? db0 : db1;
                for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = db * grid[j] * Sign(signs, j);
            }
        }
    }

    public static void IQ2_S(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 32), signs = x.Slice(34, 32), qh = x.Slice(66, 8), scales = x.Slice(74, 8);
        for (int ib = 0; ib < 8; ib++)
        {
            float db0 = d * (0.5f + (scales[ib] & 0xF)) * 0.25f, db1 = d * (0.5f + (scales[ib] >> 4)) * 0.25f;
            for (int l = 0; l < 4; l++)
            {
                int index = qs[4 * ib + l] | ((qh[ib] << (8 - 2 * l)) & 0x300);
                ReadOnlySpan<byte> grid = GgmlGrids.Iq2S.AsSpan(8 * index, 8);
                float dl = l < 2 ? db0 : db1;
                int s = signs[4 * ib + l];
                for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = dl * grid[j] * Sign(s, j);
            }
        }
    }

    public static void IQ3_XXS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 64), scalesAndSigns = x.Slice(66, 32);
        for (int ib = 0; ib < 8; ib++)
        {
            uint aux = BitConverter.ToUInt32(scalesAndSigns.Slice(4 * ib, 4));
            float db = d * (0.5f + (aux >> 28)) * 0.5f;
            for (int l = 0; l < 4; l++)
            {
                int signs = Signs((int)(aux >> (7 * l)) & 127);
                ReadOnlySpan<byte> g1 = GgmlGrids.Iq3Xxs.AsSpan(4 * qs[8 * ib + 2 * l], 4), g2 = GgmlGrids.Iq3Xxs.AsSpan(4 * qs[8 * ib + 2 * l + 1], 4);
                int o = 32 * ib + 8 * l;
                for (int j = 0; j < 4; j++)
                {
                    y[o + j] = db * g1[j] * Sign(signs, j);
                    y[o + j + 4] = db * g2[j] * Sign(signs, j + 4);
                }
            }
        }
    }

    public static void IQ3_S(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 64), qh = x.Slice(66, 8), signs = x.Slice(74, 32), scales = x.Slice(106, 4);
        for (int ib = 0; ib < 8; ib++)
        {
            float db = d * (1 + 2 * (ib % 2 == 0 ? scales[ib / 2] & 0xF : scales[ib / 2] >> 4));
            for (int l = 0; l < 4; l++)
            {
                int q1 = qs[8 * ib + 2 * l] | ((qh[ib] << (8 - 2 * l)) & 256);
                int q2 = qs[8 * ib + 2 * l + 1] | ((qh[ib] << (7 - 2 * l)) & 256);
                ReadOnlySpan<byte> g1 = GgmlGrids.Iq3S.AsSpan(4 * q1, 4), g2 = GgmlGrids.Iq3S.AsSpan(4 * q2, 4);
                int s = signs[4 * ib + l], o = 32 * ib + 8 * l;
                for (int j = 0; j < 4; j++)
                {
                    y[o + j] = db * g1[j] * Sign(s, j);
                    y[o + j + 4] = db * g2[j] * Sign(s, j + 4);
                }
            }
        }
    }

    public static void IQ1_S(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 32);
        for (int ib = 0; ib < 8; ib++)
        {
            int qh = GgmlBlocks.U16(x, 34 + 2 * ib);
            float dl = d * (2 * ((qh >> 12) & 7) + 1);
            float delta = (qh & 0x8000) != 0 ? -Iq1Delta : Iq1Delta;
            for (int l = 0; l < 4; l++)
            {
                int index = qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8);
                ReadOnlySpan<byte> grid = GgmlGrids.Iq1S.AsSpan(8 * index, 8);
                for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = dl * ((sbyte)grid[j] + delta);
            }
        }
    }

    public static void IQ1_M(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> qs = x[..32], qh = x.Slice(32, 16);
        Span<int> sc = stackalloc int[4];
        for (int k = 0; k < 4; k++) sc[k] = GgmlBlocks.U16(x, 48 + 2 * k);
        // The block scale is an f16 spread over the top nibbles of the four scale words.
        ushort scaleBits = (ushort)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000));
        float d = Codecs.F16.Decode(scaleBits);
        for (int ib = 0; ib < 8; ib++)
        {
            float dl1 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1);
            float dl2 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1);
            int h0 = qh[2 * ib], h1 = qh[2 * ib + 1];
            Span<int> idx = [qs[4 * ib] | ((h0 << 8) & 0x700), qs[4 * ib + 1] | ((h0 << 4) & 0x700), qs[4 * ib + 2] | ((h1 << 8) & 0x700), qs[4 * ib + 3] | ((h1 << 4) & 0x700)];
            Span<float> delta = [(h0 & 0x08) != 0 ? -Iq1Delta : Iq1Delta, (h0 & 0x80) != 0 ? -Iq1Delta : Iq1Delta, (h1 & 0x08) != 0 ? -Iq1Delta : Iq1Delta, (h1 & 0x80) != 0 ? -Iq1Delta : Iq1Delta];
            for (int l = 0; l < 4; l++)
            {
                ReadOnlySpan<byte> grid = GgmlGrids.Iq1S.AsSpan(8 * idx[l], 8);
                float dl = l < 2 ? dl1 : dl2;
                for (int j = 0; j < 8; j++) y[32 * ib + 8 * l + j] = dl * ((sbyte)grid[j] + delta[l]);
            }
        }
    }

    // A ternary digit of a base-3 packed byte: multiply by 3^n (mod 256) and take the top of q * 3.
    private static int Trit(byte b, int pow3) => (((byte)(b * pow3)) * 3) >> 8;

    public static void TQ1_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> qs = x[..48], qh = x.Slice(48, 4);
        float d = GgmlBlocks.Half(x, 52);
        ReadOnlySpan<int> pow3 = [1, 3, 9, 27, 81, 243];
        int o = 0;
        for (int n = 0; n < 5; n++) for (int m = 0; m < 32; m++) y[o++] = (Trit(qs[m], pow3[n]) - 1) * d;
        for (int n = 0; n < 5; n++) for (int m = 0; m < 16; m++) y[o++] = (Trit(qs[32 + m], pow3[n]) - 1) * d;
        for (int n = 0; n < 4; n++) for (int j = 0; j < 4; j++) y[o++] = (Trit(qh[j], pow3[n]) - 1) * d;
    }

    public static void TQ2_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 64);
        int o = 0;
        for (int j = 0; j < 64; j += 32)
            for (int l = 0; l < 4; l++)
                for (int m = 0; m < 32; m++) y[o++] = (((x[j + m] >> (2 * l)) & 3) - 1) * d;
    }
}
