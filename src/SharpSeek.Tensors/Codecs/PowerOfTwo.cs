// Power-of-two scale selection used by ue8m0 block quantisation: 2^ceil(log2(v)), computed exactly.
namespace SharpSeek.Tensors.Codecs;

public static class PowerOfTwo
{
    /// <summary>The smallest k with 2^k >= v, for finite v > 0 (exact, from the bits of v).</summary>
    public static int CeilLog2(double v)
    {
        if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentOutOfRangeException(nameof(v), v, "CeilLog2 needs a finite positive value");
        int e = Math.ILogB(v);                 // 2^e <= v < 2^(e+1)
        return Math.ScaleB(1.0, e) == v ? e : e + 1;
    }
}
