// Boundary: vectorised decoding of ggml's lattice-grid formats (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
// IQ3_S, IQ1_S, IQ1_M), 32 elements (one sub-block) at a time: the sub-block's grid entries are
// gathered into one byte vector, signs are applied to the byte codes (every grid value is a small
// non-zero magnitude, so -g is exact), and the codes widen to float. Each output then equals the
// twin's: (db x g) x (-1) and db x (-g) are the same float (rounding is symmetric in sign), and
// IQ1's dl x (g + delta) is the twin's one sum and one product; the scales are the twin's scalars
// in the twin's order (GgmlGridBlocks). Tested bit for bit against it. Callers check Avx2.IsSupported.
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static SharpSeek.Tensors.Ggml.GgmlLanes;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlGridBlocksFast
{
    // IQ1's delta, 0.125f (0x3E000000), negative where the given bit of the word is set: no branch
    // on a bit that is random in real blocks
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Iq1Delta(int word, int bit) => BitConverter.Int32BitsToSingle(0x3E000000 | ((word >> bit) & 1) << 31);

    private static ReadOnlySpan<ulong> Grid8(byte[] table) => MemoryMarshal.Cast<byte, ulong>(table);

    private static ReadOnlySpan<uint> Grid4(byte[] table) => MemoryMarshal.Cast<byte, uint>(table);

    // Byte i is -code[i] where bit i of signs is set: (g ^ m) - m with m = 0xFF or 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Signed(Vector256<byte> codes, uint signs)
    {
        Vector256<byte> m = Bits32(signs);
        return ((codes ^ m) - m).AsSByte();
    }

    // Four 7-bit stored sign patterns (bits 7l.. of aux) completed to four sign bytes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint SignWord(uint aux) =>
        (uint)GgmlGridBlocks.Signs((int)aux & 127) | (uint)GgmlGridBlocks.Signs((int)(aux >> 7) & 127) << 8
        | (uint)GgmlGridBlocks.Signs((int)(aux >> 14) & 127) << 16 | (uint)GgmlGridBlocks.Signs((int)(aux >> 21) & 127) << 24;

    public static void IQ2_XXS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<ulong> grid = Grid8(GgmlGrids.Iq2Xxs);
        for (int ib = 0; ib < 8; ib++)
        {
            ReadOnlySpan<byte> q = x.Slice(2 + 8 * ib, 8);
            uint aux1 = BitConverter.ToUInt32(q[4..]);
            float db = d * (0.5f + (aux1 >> 28)) * 0.25f;
            var g = Vector256.Create(grid[q[0]], grid[q[1]], grid[q[2]], grid[q[3]]).AsByte();
            Scale32(Signed(g, SignWord(aux1)), db, db, y, 32 * ib);
        }
    }

    public static void IQ2_XS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> scales = x.Slice(66, 8);
        ReadOnlySpan<ushort> qs = MemoryMarshal.Cast<byte, ushort>(x.Slice(2, 64));
        ReadOnlySpan<ulong> grid = Grid8(GgmlGrids.Iq2Xs);
        for (int ib = 0; ib < 8; ib++)
        {
            float db0 = d * (0.5f + (scales[ib] & 0xF)) * 0.25f, db1 = d * (0.5f + (scales[ib] >> 4)) * 0.25f;
            int q0 = qs[4 * ib], q1 = qs[4 * ib + 1], q2 = qs[4 * ib + 2], q3 = qs[4 * ib + 3];
            var g = Vector256.Create(grid[q0 & 511], grid[q1 & 511], grid[q2 & 511], grid[q3 & 511]).AsByte();
            uint signs = (uint)GgmlGridBlocks.Signs(q0 >> 9) | (uint)GgmlGridBlocks.Signs(q1 >> 9) << 8
                | (uint)GgmlGridBlocks.Signs(q2 >> 9) << 16 | (uint)GgmlGridBlocks.Signs(q3 >> 9) << 24;
            Scale32(Signed(g, signs), db0, db1, y, 32 * ib);
        }
    }

    public static void IQ2_S(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 32), qh = x.Slice(66, 8), scales = x.Slice(74, 8);
        ReadOnlySpan<uint> signs = MemoryMarshal.Cast<byte, uint>(x.Slice(34, 32));
        ReadOnlySpan<ulong> grid = Grid8(GgmlGrids.Iq2S);
        for (int ib = 0; ib < 8; ib++)
        {
            float db0 = d * (0.5f + (scales[ib] & 0xF)) * 0.25f, db1 = d * (0.5f + (scales[ib] >> 4)) * 0.25f;
            int h = qh[ib];
            var g = Vector256.Create(grid[qs[4 * ib] | (h & 3) << 8], grid[qs[4 * ib + 1] | (h >> 2 & 3) << 8],
                grid[qs[4 * ib + 2] | (h >> 4 & 3) << 8], grid[qs[4 * ib + 3] | (h >> 6 & 3) << 8]).AsByte();
            Scale32(Signed(g, signs[ib]), db0, db1, y, 32 * ib);
        }
    }

    public static void IQ3_XXS(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 64);
        ReadOnlySpan<uint> aux = MemoryMarshal.Cast<byte, uint>(x.Slice(66, 32));
        ReadOnlySpan<uint> grid = Grid4(GgmlGrids.Iq3Xxs);
        for (int ib = 0; ib < 8; ib++)
        {
            float db = d * (0.5f + (aux[ib] >> 28)) * 0.5f;
            ReadOnlySpan<byte> q = qs.Slice(8 * ib, 8);
            var g = Vector256.Create(grid[q[0]], grid[q[1]], grid[q[2]], grid[q[3]], grid[q[4]], grid[q[5]], grid[q[6]], grid[q[7]]).AsByte();
            Scale32(Signed(g, SignWord(aux[ib])), db, db, y, 32 * ib);
        }
    }

    public static void IQ3_S(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 64), qh = x.Slice(66, 8), scales = x.Slice(106, 4);
        ReadOnlySpan<uint> signs = MemoryMarshal.Cast<byte, uint>(x.Slice(74, 32));
        ReadOnlySpan<uint> grid = Grid4(GgmlGrids.Iq3S);
        for (int ib = 0; ib < 8; ib++)
        {
            float db = d * (1 + 2 * (ib % 2 == 0 ? scales[ib / 2] & 0xF : scales[ib / 2] >> 4));
            ReadOnlySpan<byte> q = qs.Slice(8 * ib, 8);
            int h = qh[ib];   // entry k takes bit k of qh as its ninth index bit
            var g = Vector256.Create(grid[q[0] | (h & 1) << 8], grid[q[1] | (h >> 1 & 1) << 8], grid[q[2] | (h >> 2 & 1) << 8], grid[q[3] | (h >> 3 & 1) << 8],
                grid[q[4] | (h >> 4 & 1) << 8], grid[q[5] | (h >> 5 & 1) << 8], grid[q[6] | (h >> 6 & 1) << 8], grid[q[7] | (h >> 7 & 1) << 8]).AsByte();
            Scale32(Signed(g, signs[ib]), db, db, y, 32 * ib);
        }
    }

    // y[at..at + 32) = dl x (g + delta_l) for the four 8-lane groups l (grid values -1, 0, 1)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftScale(Vector256<ulong> g, float dl1, float dl2, float d0, float d1, float d2, float d3, Span<float> y, int at)
    {
        var (a, b, c, e) = Widen(g.AsSByte());
        var s1 = Vector256.Create(dl1);
        var s2 = Vector256.Create(dl2);
        Store(s1 * (a + Vector256.Create(d0)), y, at);
        Store(s1 * (b + Vector256.Create(d1)), y, at + 8);
        Store(s2 * (c + Vector256.Create(d2)), y, at + 16);
        Store(s2 * (e + Vector256.Create(d3)), y, at + 24);
    }

    public static void IQ1_S(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        ReadOnlySpan<byte> qs = x.Slice(2, 32);
        ReadOnlySpan<ushort> qhs = MemoryMarshal.Cast<byte, ushort>(x.Slice(34, 16));
        ReadOnlySpan<ulong> grid = Grid8(GgmlGrids.Iq1S);
        for (int ib = 0; ib < 8; ib++)
        {
            int qh = qhs[ib];
            float dl = d * (2 * ((qh >> 12) & 7) + 1);
            float delta = Iq1Delta(qh, 15);
            var g = Vector256.Create(grid[qs[4 * ib] | (qh & 7) << 8], grid[qs[4 * ib + 1] | (qh >> 3 & 7) << 8],
                grid[qs[4 * ib + 2] | (qh >> 6 & 7) << 8], grid[qs[4 * ib + 3] | (qh >> 9 & 7) << 8]);
            ShiftScale(g, dl, dl, delta, delta, delta, delta, y, 32 * ib);
        }
    }

    public static void IQ1_M(ReadOnlySpan<byte> x, Span<float> y)
    {
        ReadOnlySpan<byte> qs = x[..32], qh = x.Slice(32, 16);
        ReadOnlySpan<ushort> sc = MemoryMarshal.Cast<byte, ushort>(x.Slice(48, 8));
        // The block scale is an f16 spread over the top nibbles of the four scale words.
        float d = Codecs.F16.Decode((ushort)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00F0) | ((sc[2] >> 4) & 0x0F00) | (sc[3] & 0xF000)));
        ReadOnlySpan<ulong> grid = Grid8(GgmlGrids.Iq1S);
        for (int ib = 0; ib < 8; ib++)
        {
            float dl1 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 7) + 1);
            float dl2 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 7) + 1);
            int h0 = qh[2 * ib], h1 = qh[2 * ib + 1];
            var g = Vector256.Create(grid[qs[4 * ib] | ((h0 << 8) & 0x700)], grid[qs[4 * ib + 1] | ((h0 << 4) & 0x700)],
                grid[qs[4 * ib + 2] | ((h1 << 8) & 0x700)], grid[qs[4 * ib + 3] | ((h1 << 4) & 0x700)]);
            ShiftScale(g, dl1, dl2, Iq1Delta(h0, 3), Iq1Delta(h0, 7), Iq1Delta(h1, 3), Iq1Delta(h1, 7), y, 32 * ib);
        }
    }
}
