// The sink softmax's exp: the 16-lane ExpF32 equals its scalar twin ExpF32Reference bit for bit on
// ordinary, edge and special values, and the twin is within 2 ulp of the exact e^x where the result
// is a normal float (0 below the subnormal range, +inf past the largest float, NaN for NaN).
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class ExpF32Tests
{
    private static IEnumerable<float> Inputs()
    {
        var rng = new Random(11);
        for (int i = 0; i < 20000; i++) yield return (float)(rng.NextDouble() * 200 - 110);
        for (int i = 0; i < 5000; i++) yield return (float)(rng.NextDouble() * 2 - 1);
        foreach (float x in new[] { 0f, -0f, 1f, -1f, 88.72f, 88.73f, 89f, -87.3f, -103.9f, -104f, -149f, -150f, -151f, -1e30f, 1e30f,
                     float.NegativeInfinity, float.PositiveInfinity, float.NaN, float.Epsilon, -float.Epsilon, 0.34657359f, -0.34657359f })
            yield return x;
    }

    [Fact]
    public void VectorLanesEqualTheTwinBitForBit()
    {
        if (!Vector512.IsHardwareAccelerated) return;   // the lanes need AVX-512; the twin serves otherwise
        float[] x = Inputs().ToArray();
        Array.Resize(ref x, (x.Length + 15) / 16 * 16);
        for (int i = 0; i < x.Length; i += 16)
        {
            Vector512<float> v = ExpF32.Exp(Vector512.Create(x.AsSpan(i, 16)));
            for (int l = 0; l < 16; l++)
            {
                float want = ExpF32Reference.Exp(x[i + l]);
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(v[l]), $"exp({x[i + l]:R}): lane {v[l]:R}, twin {want:R}");
            }
        }
    }

    [Fact]
    public void TwinIsWithinTwoUlpOfTheExactValue()
    {
        foreach (float x in Inputs())
        {
            float got = ExpF32Reference.Exp(x);
            double exact = Math.Exp(x);
            if (float.IsNaN(x)) { Assert.True(float.IsNaN(got)); continue; }
            if (exact > float.MaxValue) { Assert.Equal(float.PositiveInfinity, got); continue; }
            if (exact < 1.2e-38) { Assert.True(got >= 0 && got <= 1.2e-38f, $"exp({x:R}) = {got:R}"); continue; }
            double ulp = Math.ScaleB(1.0, (int)Math.Floor(Math.Log2(exact)) - 23);
            Assert.True(Math.Abs(got - exact) <= 2 * ulp, $"exp({x:R}): {got:R}, exact {exact:R} ({Math.Abs(got - exact) / ulp:F2} ulp)");
        }
    }
}
