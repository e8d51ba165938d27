// Plain scalar twin of ExpF32: e^x in float32 written as the vector lanes compute it, so the sink
// softmax's vectorised exps and its scalar twin agree bit for bit. Range reduction x = n ln2 + r
// (n = round(x log2 e) by the 1.5 * 2^23 add, ln2 in two parts), e^r = 1 + r + r^2 P(r) with Cephes'
// expf coefficients (|r| <= ln2 / 2, about one ulp), then two power-of-two factors 2^(n>>1) 2^(n - (n>>1))
// so results near the overflow and in the subnormal range round once more instead of wrapping.
namespace SharpSeek.Tensors.Kernels.Reference;

public static class ExpF32Reference
{
    internal const float Lo = -150f, Hi = 100f, Log2E = 1.44269504088896341f, Magic = 12582912f;   // 1.5 * 2^23
    internal const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    internal const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    internal const int MagicBits = 0x4B40_0000;

    /// <summary>e^x: within about 1 ulp of the exact value for x in [-87.3, 88.7]; 0 below about -104, +inf above 88.72, NaN for NaN.</summary>
    public static float Exp(float x)
    {
        // 1. clamp (NaN passes: both comparisons are false), n = round(x log2 e)
        x = x < Lo ? Lo : x;
        x = x > Hi ? Hi : x;
        float t = MathF.FusedMultiplyAdd(x, Log2E, Magic);
        float n = t - Magic;
        // 2. r = x - n ln2, in two parts
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        // 3. e^r = 1 + r + r^2 P(r)
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float y = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        // 4. times 2^n as two normal powers of two
        int k = BitConverter.SingleToInt32Bits(t) - MagicBits, k1 = k >> 1, k2 = k - k1;
        return y * BitConverter.Int32BitsToSingle((k1 + 127) << 23) * BitConverter.Int32BitsToSingle((k2 + 127) << 23);
    }
}
