// Element-wise and row kernels (float fast paths) against their scalar twins for lengths 0..300;
// Hadamard bit-identical and on basis vectors; Sinkhorn doubly stochastic; TopK against a sort;
// the compressor's SoftmaxPool against a float64 softmax pool, missing slots weighted zero.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class ElementwiseTests
{
    private static void Close(float expected, float actual, double rel, string what)
        => Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R} got {actual:R}");

    [Fact]
    public void RmsNormSoftmaxActivationsMatchReference()
    {
        var rng = new Random(3);
        for (int n = 0; n <= 300; n++)
        {
            var x = TestWeights.RandomFloats(n, rng, 8);
            var w = TestWeights.RandomFloats(n, rng, 2);
            var a = new float[n]; var b = new float[n];
            Elementwise.RmsNorm<float>(x, w, 1e-6f, a);
            ElementwiseReference.RmsNorm<float>(x, w, 1e-6f, b);
            for (int i = 0; i < n; i++) Close(b[i], a[i], 1e-5, $"rmsnorm n={n}");
            Elementwise.RmsNorm<float>(x, [], 1e-6f, a);
            ElementwiseReference.RmsNorm<float>(x, [], 1e-6f, b);
            for (int i = 0; i < n; i++) Close(b[i], a[i], 1e-5, $"rmsnorm no weight n={n}");

            x.CopyTo(a, 0); x.CopyTo(b, 0);
            Elementwise.Softmax<float>(a);
            ElementwiseReference.Softmax<float>(b);
            for (int i = 0; i < n; i++) Close(b[i], a[i], 1e-5, $"softmax n={n}");

            Elementwise.Sigmoid<float>(x, a);
            for (int i = 0; i < n; i++) Close(ElementwiseReference.Sigmoid(x[i]), a[i], 1e-6, $"sigmoid n={n}");
            Elementwise.Silu<float>(x, a);
            for (int i = 0; i < n; i++) Close(ElementwiseReference.Silu(x[i]), a[i], 1e-6, $"silu n={n}");
            x.CopyTo(a, 0);
            Elementwise.Silu<float>(a, a);                                                     // in place
            for (int i = 0; i < n; i++) Close(ElementwiseReference.Silu(x[i]), a[i], 1e-6, $"silu in place n={n}");
            Elementwise.Softplus<float>(x, a);
            for (int i = 0; i < n; i++) Assert.Equal(ElementwiseReference.Softplus(x[i]), a[i]);

            Assert.Equal((double)x.Select((v, i) => (double)v * w[i]).Sum(), Elementwise.Dot<float>(x, w), 1e-3);
            x.CopyTo(a, 0);
            Elementwise.AddScaled<float>(a, w, 0.5f);
            for (int i = 0; i < n; i++) Close(x[i] + 0.5f * w[i], a[i], 1e-6, "addscaled");
        }
    }

    [Fact]
    public void HadamardIsBitIdenticalToReference()
    {
        var rng = new Random(4);
        for (int n = 1; n <= 4096; n <<= 1)
        {
            var x = TestWeights.RandomFloats(n, rng, 3);
            var a = (float[])x.Clone();
            var b = (float[])x.Clone();
            float s = 1f / MathF.Sqrt(n);
            Elementwise.Hadamard<float>(a, s);
            ElementwiseReference.Hadamard<float>(b, s);
            for (int i = 0; i < n; i++) Assert.Equal(BitConverter.SingleToInt32Bits(b[i]), BitConverter.SingleToInt32Bits(a[i]));
        }
        Assert.Throws<ArgumentException>(() => Elementwise.Hadamard<float>(new float[48], 1f));
        Assert.Throws<ArgumentException>(() => Elementwise.Hadamard<float>(new float[0], 1f));
    }

    [Theory]
    [InlineData(128)] [InlineData(4096)] [InlineData(8)]
    public void HadamardOfBasisVectorIsARowOfSigns(int n)
    {
        foreach (int k in new[] { 0, 1, n / 3, n - 1 })
        {
            var x = new float[n];
            x[k] = 1;
            Elementwise.Hadamard<float>(x, 1f / MathF.Sqrt(n));
            // Sylvester H[i, k] = (-1)^popcount(i & k).
            for (int i = 0; i < n; i++)
                Assert.Equal((System.Numerics.BitOperations.PopCount((uint)(i & k)) % 2 == 0 ? 1 : -1) / MathF.Sqrt(n), x[i]);
            // H is its own inverse up to 1/n: applying it again returns the basis vector.
            Elementwise.Hadamard<float>(x, 1f / MathF.Sqrt(n));
            for (int i = 0; i < n; i++) Assert.Equal(i == k ? 1f : 0f, x[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(1.0, 20)]   // V4: 20 iterations, logits of order one
    [InlineData(4.0, 200)]  // wide logits (e^8 spread) converge far more slowly
    public void SinkhornIsDoublyStochastic(double range, int iters)
    {
        var rng = new Random(5);
        for (int rep = 0; rep < 20; rep++)
        {
            var c = new double[16];
            for (int i = 0; i < 16; i++) c[i] = (rng.NextDouble() * 2 - 1) * range;
            var f = Array.ConvertAll(c, v => (float)v);
            Elementwise.Sinkhorn<double>(c, 4, iters, 1e-6);
            Elementwise.Sinkhorn<float>(f, 4, iters, 1e-6f);
            for (int i = 0; i < 4; i++)
            {
                double row = 0, col = 0, rowF = 0, colF = 0;
                for (int j = 0; j < 4; j++) { row += c[i * 4 + j]; col += c[j * 4 + i]; rowF += f[i * 4 + j]; colF += f[j * 4 + i]; }
                Assert.Equal(1.0, row, 1e-5); Assert.Equal(1.0, col, 1e-5);
                Assert.Equal(1.0, rowF, 1e-5); Assert.Equal(1.0, colF, 1e-5);
            }
            Assert.All(c, v => Assert.True(v > 0));
        }
    }

    private static int[] SortOracle(float[] x, int k)
        => Enumerable.Range(0, x.Length)
            .OrderByDescending(i => float.IsNaN(x[i]) ? float.NegativeInfinity : x[i]).ThenBy(i => i).Take(k).ToArray();

    [Fact]
    public void TopKEqualsStableSortWithTies()
    {
        var rng = new Random(6);
        for (int n = 0; n <= 300; n += 7)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = rng.Next(12) * 0.5f;      // many ties
            foreach (int k in new[] { 0, Math.Min(1, n), Math.Min(3, n), n / 2, n })
            {
                var idx = new int[k];
                Elementwise.TopK<float>(x, k, idx);
                Assert.Equal(SortOracle(x, k), idx);
                var r = new int[k];
                ElementwiseReference.TopK<float>(x, k, r);
                Assert.Equal(SortOracle(x, k), r);
            }
        }
        float[] withNan = [1, float.NaN, 3, 3, float.NegativeInfinity, 2];
        var got = new int[6];
        Elementwise.TopK<float>(withNan, 6, got);
        Assert.Equal(new[] { 2, 3, 5, 0, 1, 4 }, got);
        Assert.Throws<ArgumentOutOfRangeException>(() => Elementwise.TopK<float>(withNan, 7, new int[7]));
    }

    [Fact]
    public void SoftmaxPoolIsTheSoftmaxWeightedSumAndSkipsMissingSlots()
    {
        var rng = new Random(5);
        for (int slots = 1; slots <= 16; slots++)
            for (int trial = 0; trial < 20; trial++)
            {
                float[] scores = TestWeights.RandomFloats(slots, rng, 6), values = TestWeights.RandomFloats(slots, rng, 3);
                int missing = slots > 1 ? rng.Next(slots) : -1;      // one slot that does not exist (previous block at j = 0)
                if (missing >= 0) { scores[missing] = float.NegativeInfinity; values[missing] = float.NaN; }
                double max = scores.Max(), z = scores.Sum(v => Math.Exp(v - max)), want = 0;
                for (int s = 0; s < slots; s++) if (s != missing) want += Math.Exp(scores[s] - max) / z * values[s];
                float[] w = (float[])scores.Clone();
                float got = SoftmaxPool.Channel<float>(w, values);
                Close((float)want, got, 1e-5, $"pool slots={slots}");
                Assert.Equal(1.0, w.Sum(v => (double)v), 5);
                if (missing >= 0) Assert.Equal(0f, w[missing]);
                double[] wd = scores.Select(v => (double)v).ToArray();
                Close(got, (float)SoftmaxPool.Channel<double>(wd, values.Select(v => (double)v).ToArray()), 1e-5, "double twin");
            }
    }
}
