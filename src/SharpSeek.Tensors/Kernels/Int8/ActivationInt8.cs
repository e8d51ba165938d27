// Activation rows quantised to int8 per 32 values (the Q8_0 scheme of llama.cpp's vec_dot inputs):
// d = max|x| / 127, q = round-half-even(x * (127 / max|x|)) clamped to [-127, 127] (q = 0 when the
// block is all zero), and the block's code sum (for the +offset correction of unsigned-by-signed
// integer products). One quantisation per product is shared by every output row. Vector512 or
// Vector256 where the hardware has them, else scalar; every code, scale and sum equals the twin
// ActivationInt8Reference.Quantize bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Kernels.Int8;

public static unsafe class ActivationInt8
{
    public const int Block = 32;

    /// <summary>
    /// Quantises x [tokens, n] (n a multiple of 32) into q [tokens, n], scale [tokens, n/32] and
    /// sum [tokens, n/32] (sum of the block's codes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int tokens, int n, sbyte* q, float* scale, int* sum)
    {
        if (n % Block != 0) throw new ArgumentException($"int8 activations need a multiple of {Block} values per row, got {n}");
        long blocks = (long)tokens * (n / Block);
        for (long b = 0; b < blocks; b++)
        {
            float* xb = x + b * Block;
            if (Avx512F.IsSupported && QuantizeAvx512(xb, q + b * Block, scale + b, sum + b)) continue;
            sbyte* qb = q + b * Block;
            float amax;
            if (Vector512.IsHardwareAccelerated)
                amax = Vector512.Max(Vector512.Abs(Vector512.Load(xb)), Vector512.Abs(Vector512.Load(xb + 16))).ToScalarMaxAcross();
            else if (Vector256.IsHardwareAccelerated)
                amax = MaxAcross(Vector256.Max(Vector256.Max(Vector256.Abs(Vector256.Load(xb)), Vector256.Abs(Vector256.Load(xb + 8))),
                    Vector256.Max(Vector256.Abs(Vector256.Load(xb + 16)), Vector256.Abs(Vector256.Load(xb + 24)))));
            else
            {
                amax = 0;
                for (int i = 0; i < Block; i++) amax = MathF.Max(amax, MathF.Abs(xb[i]));
            }
            float inv = amax > 0 ? 127f / amax : 0f;
            scale[b] = amax / 127f;
            int s = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var vi = Vector512.Create(inv);
                var lim = Vector512.Create(127f);
                var a = Vector512.ConvertToInt32(Vector512.Clamp(Vector512.Round(Vector512.Load(xb) * vi), -lim, lim));
                var c = Vector512.ConvertToInt32(Vector512.Clamp(Vector512.Round(Vector512.Load(xb + 16) * vi), -lim, lim));
                s = Vector512.Sum(a + c);
                Vector256<short> lo = Vector512.Narrow(a, c).GetLower(), hi = Vector512.Narrow(a, c).GetUpper();
                Vector256.Narrow(lo, hi).AsSByte().Store(qb);
            }
            else
            {
                for (int i = 0; i < Block; i++)
                {
                    int v = (int)Math.Clamp(MathF.Round(xb[i] * inv), -127f, 127f);
                    qb[i] = (sbyte)v;
                    s += v;
                }
            }
            sum[b] = s;
        }
    }

    /// <summary>
    /// One block of finite values with hardware max and conversion (no NaN fix-ups): |x * 127 / amax| rounds to at
    /// most 127, so no clamp is needed. Returns false, writing nothing, when a value is NaN or infinite (a code
    /// converts to int.MinValue then): the general path handles that block as the twin does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool QuantizeAvx512(float* xb, sbyte* qb, float* scale, int* sum)
    {
        Vector512<float> x0 = Vector512.Load(xb), x1 = Vector512.Load(xb + 16);
        Vector512<float> m = Avx512F.Max(Vector512.Abs(x0), Vector512.Abs(x1));
        Vector256<float> h = Avx.Max(m.GetLower(), m.GetUpper());
        Vector128<float> l = Sse.Max(h.GetLower(), h.GetUpper());
        l = Sse.Max(l, Sse.Shuffle(l, l, 0b01_00_11_10));
        float amax = Sse.MaxScalar(l, Sse.Shuffle(l, l, 0b00_00_00_01)).ToScalar();
        var inv = Vector512.Create(amax > 0 ? 127f / amax : 0f);
        Vector512<int> a = Vector512.ConvertToInt32Native(Vector512.Round(x0 * inv)), c = Vector512.ConvertToInt32Native(Vector512.Round(x1 * inv));
        if (Vector512.EqualsAny(a, Vector512.Create(int.MinValue)) || Vector512.EqualsAny(c, Vector512.Create(int.MinValue))) return false;
        *scale = amax / 127f;
        *sum = Vector512.Sum(a + c);
        Avx512F.ConvertToVector128SByte(a).Store(qb);
        Avx512F.ConvertToVector128SByte(c).Store(qb + 16);
        return true;
    }

    private static float MaxAcross(Vector256<float> v)
    {
        float m = v[0];
        for (int i = 1; i < Vector256<float>.Count; i++) m = MathF.Max(m, v[i]);
        return m;
    }

    /// <summary>The largest lane by halving (Max of non-negative lanes is order-free, as the twin's MathF.Max chain).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ToScalarMaxAcross(this Vector512<float> v)
    {
        Vector256<float> h = Vector256.Max(v.GetLower(), v.GetUpper());
        Vector128<float> m = Vector128.Max(h.GetLower(), h.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return MathF.Max(m.ToScalar(), m.GetElement(1));
    }
}
