// Boundary: vectorised decoding of ggml's legacy 32-element blocks Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and of
// Q8_K (256 int8 codes, f32 scale). Codes are unpacked 32 at a time in byte vectors and widened to
// float; each output is then the twin's float operations in GgmlLegacyBlocks' order — Q4_1/Q5_1
// code x d + m (two roundings, never fused), Q4_0/Q5_0 (code - 8 or 16) x d with the subtraction in
// integers, Q8_0/Q8_K code x d —
// so the values equal the scalar twin bit for bit (tested). Callers check Avx2.IsSupported.
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static SharpSeek.Tensors.Ggml.GgmlLanes;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlLegacyBlocksFast
{
    // The fifth bit of element i is bit i of the block's qh word, placed at bit 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBits(ReadOnlySpan<byte> x, int at) => Bits32(BitConverter.ToUInt32(x.Slice(at, 4))) & Vector256.Create((byte)0x10);

    public static void Q4_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        // nibble - 8 wraps to the signed code -8..7 in a byte
        float d = GgmlBlocks.Half(x, 0);
        Scale32((Nibbles(x.Slice(2, 16)) - Vector256.Create((byte)8)).AsSByte(), d, d, y, 0);
    }

    public static void Q8_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = GgmlBlocks.Half(x, 0);
        Scale32(Vector256.Create(MemoryMarshal.Cast<byte, sbyte>(x.Slice(2, 32))), d, d, y, 0);
    }

    public static void Q4_1(ReadOnlySpan<byte> x, Span<float> y) =>
        ScaleAdd32(Nibbles(x.Slice(4, 16)).AsSByte(), GgmlBlocks.Half(x, 0), GgmlBlocks.Half(x, 2), y, 0);

    public static void Q5_0(ReadOnlySpan<byte> x, Span<float> y)
    {
        // (nibble | fifth bit) - 16 wraps to the signed code -16..15 in a byte
        Vector256<byte> q = (Nibbles(x.Slice(6, 16)) | FifthBits(x, 2)) - Vector256.Create((byte)16);
        float d = GgmlBlocks.Half(x, 0);
        Scale32(q.AsSByte(), d, d, y, 0);
    }

    public static void Q5_1(ReadOnlySpan<byte> x, Span<float> y) =>
        ScaleAdd32((Nibbles(x.Slice(8, 16)) | FifthBits(x, 4)).AsSByte(), GgmlBlocks.Half(x, 0), GgmlBlocks.Half(x, 2), y, 0);

    public static void Q8_K(ReadOnlySpan<byte> x, Span<float> y)
    {
        float d = BitConverter.ToSingle(x[..4]);
        ReadOnlySpan<sbyte> qs = MemoryMarshal.Cast<byte, sbyte>(x.Slice(4, 256));
        for (int j = 0; j < 256; j += 32) Scale32(Vector256.Create(qs.Slice(j, 32)), d, d, y, j);
    }
}
