// Boundary: vectorised decoding of ggml's ternary formats TQ2_0 (2-bit codes) and TQ1_0 (five trits
// per byte, base 3), 32 values at a time in GgmlBlocks' element order. A trit is the top of
// ((byte)(q x 3^n)) x 3, computed in 16-bit lanes exactly as the twin's integer steps; each output is
// the twin's one product (trit - 1) x d, so the values equal GgmlGridBlocks' bit for bit (tested).
// Callers check Avx2.IsSupported.
using System.Runtime.Intrinsics;
using static SharpSeek.Tensors.Ggml.GgmlLanes;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlTernaryBlocksFast
{
    public static void TQ2_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 64);
        var three = Vector256.Create((byte)3);
        var one = Vector256.Create((byte)1);
        for (int j = 0, o = 0; j < 64; j += 32)
        {
            Vector256<byte> q = Vector256.Create(x.Slice(j, 32));
            for (int l = 0; l < 4; l++, o += 32) Scale32(((Vector256.ShiftRightLogical(q, 2 * l) & three) - one).AsSByte(), d, d, y, o);
        }
    }

    // The trit of each 16-bit lane q at the lane's power of three: ((q x pow) mod 256) x 3 / 256.
    private static Vector256<ushort> Trits(Vector256<ushort> q, Vector256<ushort> pow) =>
        Vector256.ShiftRightLogical(((q * pow) & Vector256.Create((ushort)0xFF)) * Vector256.Create((ushort)3), 8);

    // Two 16-value trit vectors -> 32 outputs (trit - 1) x d at y[at..]
    private static void Emit(Vector256<ushort> a, Vector256<ushort> b, float d, Span<float> y, int at) =>
        Scale32((Vector256.Narrow(a, b) - Vector256.Create((byte)1)).AsSByte(), d, d, y, at);

    public static void TQ1_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 52);
        ReadOnlySpan<ushort> pow3 = [1, 3, 9, 27, 81];
        // 1. qs[0..32): five trits each, one 32-value run per power                     [160]
        var (lo, hi) = Vector256.Widen(Vector256.Create(x[..32]));
        for (int n = 0; n < 5; n++)
        {
            var p = Vector256.Create(pow3[n]);
            Emit(Trits(lo, p), Trits(hi, p), d, y, 32 * n);
        }
        // 2. qs[32..48): five trits each, 16-value runs paired by power                 [80]
        Vector256<ushort> mid = Vector256.WidenLower(Vector128.Create(x.Slice(32, 16)).ToVector256());
        Emit(Trits(mid, Vector256.Create(pow3[0])), Trits(mid, Vector256.Create(pow3[1])), d, y, 160);
        Emit(Trits(mid, Vector256.Create(pow3[2])), Trits(mid, Vector256.Create(pow3[3])), d, y, 192);
        // 3. the last power of qs[32..48) and qh[0..4)'s four trits (value 4n + j)     [16 + 16]
        var qh = Vector256.Create((ushort)x[48], x[49], x[50], x[51], x[48], x[49], x[50], x[51], x[48], x[49], x[50], x[51], x[48], x[49], x[50], x[51]);
        var qhPow = Vector256.Create((ushort)1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27);
        Emit(Trits(mid, Vector256.Create(pow3[4])), Trits(qh, qhPow), d, y, 224);
    }
}
