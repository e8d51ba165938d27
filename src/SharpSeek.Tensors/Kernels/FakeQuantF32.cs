// Vectorised float32 block fake quantisation, bit-identical to the generic path of FakeQuant
// (the scalar twin): amax by an integer max over |x| bits, the ue8m0 exponent k from the same
// float division and PowerOfTwo.CeilLog2, and rounding to the grid by the magic-constant add
// (a + C) - C with C = 2^(max(e, emin) - mantissaBits + 23), which rounds |q| to the grid quantum
// of its binade with round-to-nearest-even. Blocks with a NaN or infinite value, or with a scale
// outside the normal float range, are handed to the scalar twin (which throws or handles them).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels;

internal static unsafe class FakeQuantF32
{
    /// <summary>A small-float grid: largest value, amax floor, mantissa bits, smallest normal exponent.</summary>
    internal readonly record struct Grid(float QMax, float Floor, int MantissaBits, int MinNormalExp);

    public static readonly Grid E4M3 = new(448f, 1e-4f, 3, -6);
    public static readonly Grid E2M1 = new(6f, (float)(6.0 * Math.ScaleB(1.0, -126)), 1, 0);

    /// <summary>
    /// Per block of <paramref name="block"/> values: amax = max(max|x|, floor), k = ceil(log2(amax / qmax))
    /// (amax / qmax in float), x = rne_grid(clamp(x * 2^-k, -qmax, qmax)) * 2^k. Returns false, leaving
    /// the block untouched, when the block needs the scalar twin.
    /// </summary>
    public static bool TryBlock(Span<float> blk, in Grid g)
    {
        fixed (float* p = blk)
        {
            int n = blk.Length;
            uint maxBits = MaxAbsBits(p, n);
            if (maxBits >= 0x7F80_0000) return false;                 // inf or NaN
            float amax = MathF.Max(g.Floor, BitConverter.UInt32BitsToSingle(maxBits));
            int k = PowerOfTwo.CeilLog2(amax / g.QMax);
            if (k < -126 || k > 127) return false;
            float inv = MathF.ScaleB(1f, -k), sc = MathF.ScaleB(1f, k);
            int cMin = (g.MinNormalExp + 127) << 23, cAdd = (23 - g.MantissaBits) << 23;
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var vInv = Vector512.Create(inv); var vSc = Vector512.Create(sc);
                var vMax = Vector512.Create(g.QMax); var vMin = Vector512.Create(-g.QMax);
                var expMask = Vector512.Create(0x7F80_0000); var vCMin = Vector512.Create(cMin); var vCAdd = Vector512.Create(cAdd);
                var signMask = Vector512.Create(unchecked((int)0x8000_0000));
                for (; j <= n - 16; j += 16)
                {
                    Vector512<float> q = Vector512.Min(Vector512.Max(Vector512.Load(p + j) * vInv, vMin), vMax);
                    Vector512<float> a = Vector512.Abs(q);
                    Vector512<float> c = (Vector512.Max(a.AsInt32() & expMask, vCMin) + vCAdd).AsSingle();
                    Vector512<float> r = (a + c) - c;
                    ((r.AsInt32() | (q.AsInt32() & signMask)).AsSingle() * vSc).Store(p + j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var vInv = Vector256.Create(inv); var vSc = Vector256.Create(sc);
                var vMax = Vector256.Create(g.QMax); var vMin = Vector256.Create(-g.QMax);
                var expMask = Vector256.Create(0x7F80_0000); var vCMin = Vector256.Create(cMin); var vCAdd = Vector256.Create(cAdd);
                var signMask = Vector256.Create(unchecked((int)0x8000_0000));
                for (; j <= n - 8; j += 8)
                {
                    Vector256<float> q = Vector256.Min(Vector256.Max(Vector256.Load(p + j) * vInv, vMin), vMax);
                    Vector256<float> a = Vector256.Abs(q);
                    Vector256<float> c = (Vector256.Max(a.AsInt32() & expMask, vCMin) + vCAdd).AsSingle();
                    Vector256<float> r = (a + c) - c;
                    ((r.AsInt32() | (q.AsInt32() & signMask)).AsSingle() * vSc).Store(p + j);
                }
            }
            for (; j < n; j++) p[j] = One(p[j], inv, sc, g.QMax, cMin, cAdd);
            return true;
        }
    }

    /// <summary>
    /// The FP8 e4m3 codes of one block (the production KV storage: decode(codes) * 2^k is TryBlock's value):
    /// the same exponent k and grid rounding, the rounded |q| read back as a code (normal: its exponent and
    /// three mantissa bits; below 2^-6: q * 2^9) with q's sign. 16 values at a time with AVX-512; returns false,
    /// writing nothing, where TryBlock would (NaN, inf, a scale outside the normal range) or without AVX-512.
    /// </summary>
    public static bool TryE4M3Codes(ReadOnlySpan<float> blk, Span<byte> codes, out int k)
    {
        k = 0;
        int n = blk.Length;
        if (!Avx512F.IsSupported || n % 16 != 0 || codes.Length < n) return false;
        var g = E4M3;
        fixed (float* p = blk)
        fixed (byte* o = codes)
        {
            uint maxBits = MaxAbsBits(p, n);
            if (maxBits >= 0x7F80_0000) return false;
            float amax = MathF.Max(g.Floor, BitConverter.UInt32BitsToSingle(maxBits));
            k = PowerOfTwo.CeilLog2(amax / g.QMax);
            if (k < -126 || k > 127) return false;
            var vInv = Vector512.Create(MathF.ScaleB(1f, -k));
            var vMax = Vector512.Create(g.QMax); var vMin = Vector512.Create(-g.QMax);
            var expMask = Vector512.Create(0x7F80_0000);
            var vCMin = Vector512.Create((g.MinNormalExp + 127) << 23); var vCAdd = Vector512.Create((23 - g.MantissaBits) << 23);
            var smallest = Vector512.Create(0x3C80_0000);                      // 2^-6, the smallest normal e4m3 value
            var bias = Vector512.Create((127 - 7) << 3);                       // float exponent bias minus e4m3's, above the 3 mantissa bits
            for (int j = 0; j < n; j += 16)
            {
                Vector512<float> q = Vector512.Min(Vector512.Max(Vector512.Load(p + j) * vInv, vMin), vMax);
                Vector512<float> a = Vector512.Abs(q);
                Vector512<float> c = (Vector512.Max(a.AsInt32() & expMask, vCMin) + vCAdd).AsSingle();
                Vector512<int> r = ((a + c) - c).AsInt32();
                Vector512<int> code = Vector512.ConditionalSelect(Vector512.LessThan(r, smallest),
                    Vector512.ConvertToInt32(r.AsSingle() * Vector512.Create(512f)), Vector512.ShiftRightLogical(r, 20) - bias);
                code |= Vector512.ShiftRightLogical(q.AsInt32(), 24) & Vector512.Create(0x80);
                Avx512F.ConvertToVector128Byte(code).Store(o + j);
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float One(float v, float inv, float sc, float qmax, int cMin, int cAdd)
    {
        float q = Math.Clamp(v * inv, -qmax, qmax);
        float a = MathF.Abs(q);
        float c = BitConverter.Int32BitsToSingle(Math.Max(BitConverter.SingleToInt32Bits(a) & 0x7F80_0000, cMin) + cAdd);
        float r = (a + c) - c;
        return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(r) | (BitConverter.SingleToInt32Bits(q) & unchecked((int)0x8000_0000))) * sc;
    }

    /// <summary>max_j (bits(x_j) &amp; 0x7FFFFFFF): the bits of max |x|, above 0x7F800000 for NaN.</summary>
    private static uint MaxAbsBits(float* p, int n)
    {
        int j = 0;
        uint m = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<uint>.Zero;
            var mask = Vector512.Create(0x7FFF_FFFFu);
            for (; j <= n - 16; j += 16) acc = Vector512.Max(acc, Vector512.Load((uint*)p + j) & mask);
            m = MaxLanes(Vector256.Max(acc.GetLower(), acc.GetUpper()));
        }
        for (; j < n; j++) m = Math.Max(m, ((uint*)p)[j] & 0x7FFF_FFFFu);
        return m;
    }

    private static uint MaxLanes(Vector256<uint> v)
    {
        uint m = 0;
        for (int i = 0; i < Vector256<uint>.Count; i++) m = Math.Max(m, v.GetElement(i));
        return m;
    }
}
