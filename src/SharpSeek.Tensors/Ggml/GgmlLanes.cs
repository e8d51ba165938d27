// Boundary: the vector steps every fast ggml block decoder shares, written once: widening 32 byte
// codes to float lanes, spreading 32 bits to 32 byte masks, splitting 16 packed bytes into their 32
// nibbles in ggml's element order, 16-entry book lookups, and the 32-value scale-and-store whose float
// operations each helper names (s x code; s x code - m; code x d + m), so a decoder picks the one in
// its twin's order. With AVX-512 these widen 16 lanes at a time, else 8. Callers check Avx2.IsSupported.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Ggml;

internal static class GgmlLanes
{
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

    /// <summary>y[at + i] = s x code[i] with s = s0 for i below 16, s1 above (one product per value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Scale32(Vector256<sbyte> codes, float s0, float s1, Span<float> y, int at)
    {
        if ((uint)(at + 32) > (uint)y.Length) Throw();
        ref float r = ref MemoryMarshal.GetReference(y);
        if (Avx512F.IsSupported)
        {
            var (lo, hi) = Widen16(codes);
            (Vector512.Create(s0) * lo).StoreUnsafe(ref r, (nuint)at);
            (Vector512.Create(s1) * hi).StoreUnsafe(ref r, (nuint)at + 16);
            return;
        }
        var (a, b, c, e) = Widen(codes);
        var v0 = Vector256.Create(s0);
        var v1 = Vector256.Create(s1);
        (v0 * a).StoreUnsafe(ref r, (nuint)at);
        (v0 * b).StoreUnsafe(ref r, (nuint)at + 8);
        (v1 * c).StoreUnsafe(ref r, (nuint)at + 16);
        (v1 * e).StoreUnsafe(ref r, (nuint)at + 24);
    }

    /// <summary>y[at + i] = s x code[i] - m (the product rounded, then the difference) with (s, m) = (s0, m0) below 16, (s1, m1) above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleSub32(Vector256<sbyte> codes, float s0, float m0, float s1, float m1, Span<float> y, int at)
    {
        if ((uint)(at + 32) > (uint)y.Length) Throw();
        ref float r = ref MemoryMarshal.GetReference(y);
        if (Avx512F.IsSupported)
        {
            var (lo, hi) = Widen16(codes);
            (Vector512.Create(s0) * lo - Vector512.Create(m0)).StoreUnsafe(ref r, (nuint)at);
            (Vector512.Create(s1) * hi - Vector512.Create(m1)).StoreUnsafe(ref r, (nuint)at + 16);
            return;
        }
        var (a, b, c, e) = Widen(codes);
        Vector256<float> v0 = Vector256.Create(s0), w0 = Vector256.Create(m0), v1 = Vector256.Create(s1), w1 = Vector256.Create(m1);
        (v0 * a - w0).StoreUnsafe(ref r, (nuint)at);
        (v0 * b - w0).StoreUnsafe(ref r, (nuint)at + 8);
        (v1 * c - w1).StoreUnsafe(ref r, (nuint)at + 16);
        (v1 * e - w1).StoreUnsafe(ref r, (nuint)at + 24);
    }

    /// <summary>y[at + i] = code[i] x d + m for 32 values (the product rounded, then the sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScaleAdd32(Vector256<sbyte> codes, float d, float m, Span<float> y, int at)
    {
        if ((uint)(at + 32) > (uint)y.Length) Throw();
        ref float r = ref MemoryMarshal.GetReference(y);
        if (Avx512F.IsSupported)
        {
            var (lo, hi) = Widen16(codes);
            Vector512<float> vd = Vector512.Create(d), vm = Vector512.Create(m);
            (lo * vd + vm).StoreUnsafe(ref r, (nuint)at);
            (hi * vd + vm).StoreUnsafe(ref r, (nuint)at + 16);
            return;
        }
        var (a, b, c, e) = Widen(codes);
        Vector256<float> d8 = Vector256.Create(d), m8 = Vector256.Create(m);
        (a * d8 + m8).StoreUnsafe(ref r, (nuint)at);
        (b * d8 + m8).StoreUnsafe(ref r, (nuint)at + 8);
        (c * d8 + m8).StoreUnsafe(ref r, (nuint)at + 16);
        (e * d8 + m8).StoreUnsafe(ref r, (nuint)at + 24);
    }

    // 32 signed byte codes as two 16-lane float vectors (AVX-512: one sign extension each)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>) Widen16(Vector256<sbyte> codes) =>
        (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(codes.GetLower())), Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(codes.GetUpper())));

    /// <summary>Eight lanes into y[at..at + 8]; the decoders' y is always one whole block, so at + 8 is within it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(Vector256<float> v, Span<float> y, int at)
    {
        if ((uint)(at + 8) > (uint)y.Length) Throw();
        v.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)at);
    }

    private static void Throw() => throw new ArgumentException("block output too short");
}
