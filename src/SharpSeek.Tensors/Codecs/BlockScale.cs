// The ue8m0 block scale of the reference's fake quantisation and its codes: per block
// amax = max(max|x|, floor) in the data's precision T, k = ceil(log2(amax / qmax)) exactly, and
// each value's code = round_grid(clamp(x / 2^k, -qmax, qmax)). Shared by FakeQuant's reference twin,
// the production KV storage (which keeps codes and k) and nothing else.
using System.Numerics;

namespace SharpSeek.Tensors.Codecs;

public static class BlockScale
{
    /// <summary>The power-of-two exponent k of an FP8 e4m3 block (floor 1e-4, qmax 448).</summary>
    public static int Fp8Exponent<T>(ReadOnlySpan<T> block) where T : unmanaged, IFloatingPointIeee754<T>
        => Exponent(block, T.CreateTruncating(1e-4), T.CreateTruncating(448.0));

    /// <summary>The power-of-two exponent k of an FP4 e2m1 block (floor 6 * 2^-126, qmax 6).</summary>
    public static int Fp4Exponent<T>(ReadOnlySpan<T> block) where T : unmanaged, IFloatingPointIeee754<T>
        => Exponent(block, T.CreateTruncating(6.0 * Math.ScaleB(1.0, -126)), T.CreateTruncating(6.0));

    public static byte Fp8Code<T>(T x, int k) where T : unmanaged, IFloatingPointIeee754<T>
        => Fp8E4M3.Encode(Math.Clamp(Math.ScaleB(double.CreateTruncating(x), -k), -448.0, 448.0));

    public static byte Fp4Code<T>(T x, int k) where T : unmanaged, IFloatingPointIeee754<T>
        => Fp4E2M1.Encode(Math.Clamp(Math.ScaleB(double.CreateTruncating(x), -k), -6.0, 6.0));

    private static int Exponent<T>(ReadOnlySpan<T> block, T floor, T qmax) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T amax = floor;
        foreach (T v in block) amax = T.Max(amax, T.Abs(v));
        return PowerOfTwo.CeilLog2(double.CreateTruncating(amax / qmax));
    }
}
