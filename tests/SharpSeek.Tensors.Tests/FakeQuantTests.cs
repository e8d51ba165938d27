// The vectorised float32 FakeQuant must be bit-identical to its scalar twin FakeQuantReference,
// including ties on the grid, saturation, signed zeros, subnormal inputs and the amax floor.
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class FakeQuantTests
{
    private static float[] Cases(Random rng, int n, double[] gridValues, double qmax)
    {
        var v = new float[n];
        int mode = rng.Next(6);
        double mag = Math.Pow(2, rng.Next(-40, 40));
        for (int i = 0; i < n; i++)
        {
            double r = rng.NextDouble() * 2 - 1;
            v[i] = mode switch
            {
                0 => (float)(r * mag),
                // Exact grid midpoints at the block's scale: amax pinned to qmax * 2^k by element 0.
                1 => (float)((i == 0 ? qmax : Mid(gridValues, rng)) * (rng.Next(2) == 0 ? -1 : 1) * mag),
                2 => (float)(r * 1e-6),                                   // below the FP8 amax floor
                3 => BitConverter.Int32BitsToSingle(rng.Next(1, 1 << 23) | (rng.Next(2) << 31)), // subnormals
                4 => i % 7 == 0 ? (i % 2 == 0 ? -0f : 0f) : (float)(r * 3e38),
                _ => (float)(r * mag * (1 + 1e-7 * rng.Next(-3, 4))),
            };
        }
        return v;
    }

    private static double Mid(double[] g, Random rng)
    {
        int k = rng.Next(g.Length - 1);
        return (g[k] + g[k + 1]) / 2;
    }

    private static double[] E4M3Grid()
    {
        var g = new List<double>();
        for (int c = 0; c <= 0x7E; c++) g.Add(Fp8E4M3.Decode((byte)c));
        return g.ToArray();
    }

    private static void AssertBitsEqual(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what} [{i}]: reference {expected[i]:R} fast {actual[i]:R}");
    }

    [Theory]
    [InlineData(64)] [InlineData(128)] [InlineData(16)] [InlineData(3)] [InlineData(17)] [InlineData(40)]
    public void Fp8IsBitIdenticalToReference(int block)
    {
        var rng = new Random(block);
        var grid = E4M3Grid();
        for (int rep = 0; rep < 300; rep++)
        {
            var x = Cases(rng, block * (1 + rng.Next(4)), grid, 448);
            var a = (float[])x.Clone();
            var b = (float[])x.Clone();
            FakeQuantReference.Fp8<float>(a, block);
            FakeQuant.Fp8<float>(b, block);
            AssertBitsEqual(a, b, $"fp8 block {block} rep {rep}");
        }
    }

    [Theory]
    [InlineData(64)] [InlineData(16)] [InlineData(128)]
    public void Fp8CodesEqualTheScalarCodec(int block)
    {
        // the KV storage's codes: FakeQuant.TryFp8Codes against BlockScale's exponent and per-value codes
        var rng = new Random(700 + block);
        var grid = E4M3Grid();
        var codes = new byte[block];
        for (int rep = 0; rep < 400; rep++)
        {
            var x = Cases(rng, block, grid, 448);
            if (!FakeQuant.TryFp8Codes(x, codes, out int k))
            {
                Assert.False(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, $"block {block} rep {rep}: a finite block was refused");
                continue;
            }
            Assert.Equal(BlockScale.Fp8Exponent<float>(x), k);
            for (int i = 0; i < block; i++)
                Assert.True(BlockScale.Fp8Code(x[i], k) == codes[i], $"block {block} rep {rep} [{i}] {x[i]:R}: scalar {BlockScale.Fp8Code(x[i], k):X2}, vector {codes[i]:X2}");
        }
        var nan = new float[block];
        nan[3] = float.NaN;
        Assert.False(FakeQuant.TryFp8Codes(nan, codes, out _));
    }

    [Theory]
    [InlineData(32)] [InlineData(128)] [InlineData(16)] [InlineData(5)] [InlineData(24)]
    public void Fp4IsBitIdenticalToReference(int block)
    {
        var rng = new Random(100 + block);
        double[] grid = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
        for (int rep = 0; rep < 300; rep++)
        {
            var x = Cases(rng, block * (1 + rng.Next(4)), grid, 6);
            var a = (float[])x.Clone();
            var b = (float[])x.Clone();
            FakeQuantReference.Fp4<float>(a, block);
            FakeQuant.Fp4<float>(b, block);
            AssertBitsEqual(a, b, $"fp4 block {block} rep {rep}");
        }
    }

    [Fact]
    public void Fp4TiesOnTheGridAtUnitScale()
    {
        // amax = 6 -> scale 1; the listed ties go to the even code.
        float[] x = [6f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5f, -0.25f, -5f, 0, 0, 0, 0, 0, 0];
        FakeQuant.Fp4<float>(x, 16);
        Assert.Equal(new float[] { 6, 0, 1, 1, 2, 2, 4, 4, -0f, -4, 0, 0, 0, 0, 0, 0 }, x);
        Assert.True(float.IsNegative(x[8]));
    }

    [Fact]
    public void Fp8SaturatesAndUsesPowerOfTwoScale()
    {
        var x = new float[64];
        x[0] = 1e6f; x[1] = -3f; x[2] = 1f;
        FakeQuant.Fp8<float>(x, 64);
        // scale = 2^ceil(log2(1e6 / 448)) = 2^12; 1e6 / 4096 = 244.14 -> 240 on the grid.
        Assert.Equal(240f * 4096, x[0]);
        Assert.Equal(0f, x[2]);
        Assert.True(float.IsNegative(x[1]) || x[1] == 0);
    }

    [Fact]
    public void NanBlockThrowsLikeTheReference()
    {
        var x = new float[64];
        x[5] = float.NaN;
        Assert.ThrowsAny<ArgumentException>(() => FakeQuant.Fp8<float>(x, 64));
        Assert.ThrowsAny<ArgumentException>(() => FakeQuantReference.Fp8<float>((float[])x.Clone(), 64));
        Assert.ThrowsAny<ArgumentException>(() => FakeQuant.Fp4<float>(new float[33], 32));
    }

    [Fact]
    public void DoubleRunsTheReference()
    {
        var rng = new Random(1);
        var x = new double[128];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() * 10 - 5;
        var a = (double[])x.Clone();
        FakeQuant.Fp8<double>(x, 64);
        FakeQuantReference.Fp8<double>(a, 64);
        Assert.Equal(a, x);
    }
}
