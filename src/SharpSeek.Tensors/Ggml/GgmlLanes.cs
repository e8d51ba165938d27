// Boundary: the vector steps every fast ggml block decoder shares, written once: widening 32 byte
// codes to float lanes, spreading 32 bits to 32 byte masks, splitting 16 packed bytes into their 32
// nibbles in ggml's element order, and storing float lanes into a block's output. No float arithmetic
// happens here, so these steps cannot change a decoded value. Callers check Avx2.IsSupported.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlLanes
{
    /// <summary>32 signed byte codes -> 32 floats (unsigned codes below 128 pass as they are).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WidenSigned(Vector256<sbyte> v, Span<float> dst)
    {
        var (a, b, c, d) = Widen(v);
        a.CopyTo(dst);
        b.CopyTo(dst[8..]);
        c.CopyTo(dst[16..]);
        d.CopyTo(dst[24..]);
    }

    /// <summary>32 signed byte codes as four float vectors, lanes 0..7, 8..15, 16..23, 24..31 (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Widen(Vector256<sbyte> v)
    {
        var (lo, hi) = Vector256.Widen(v);
        var (a, b) = Vector256.Widen(lo);
        var (c, d) = Vector256.Widen(hi);
        return (Vector256.ConvertToSingle(a), Vector256.ConvertToSingle(b), Vector256.ConvertToSingle(c), Vector256.ConvertToSingle(d));
    }

    /// <summary>Byte i is 0xFF where bit i of <paramref name="bits"/> is set, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Bits32(uint bits)
    {
        // Every 128-bit lane holds the four bytes of bits; lane 0 spreads bytes 0 and 1, lane 1 bytes 2 and 3.
        var spread = Avx2.Shuffle(Vector256.Create(bits).AsByte(),
            Vector256.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var bit = Vector256.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector256.Equals(spread & bit, bit);
    }

    /// <summary>16 packed bytes -> 32 nibbles: element j is the low nibble of qs[j], element j + 16 its high nibble.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Nibbles(ReadOnlySpan<byte> qs16)
    {
        Vector128<byte> q = Vector128.Create(qs16);
        return Vector256.Create(q & Vector128.Create((byte)0x0F), Vector128.ShiftRightLogical(q, 4));
    }

    /// <summary>Looks 32 indices (each below 16) up in a 16-entry signed byte book.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> Lookup16(Vector256<sbyte> book, Vector256<byte> index) => Avx2.Shuffle(book, index.AsSByte());

    /// <summary>Eight lanes into y[at..at + 8]; the decoders' y is always one whole block, so at + 8 is within it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(Vector256<float> v, Span<float> y, int at)
    {
        if ((uint)(at + 8) > (uint)y.Length) Throw();
        v.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)at);
    }

    private static void Throw() => throw new ArgumentException("block output too short");
}
