// The mHC kernels (HyperMix) against their scalar twins, bit for bit: Pre (product in tiles of tokens over
// the worker team, sums of squares, the split with eight tokens in vector lanes, the collapse) against one
// MatMul of all tokens + TensorPrimitives.Dot + HyperMixReference.Split/Collapse (+ Elementwise.RmsNorm of the rows); Collapse and the in-place
// Expand against the twin; token counts 1, 3, 17, 64, hc 4, 1, 3 and 9 (the twin's path), odd dims.
using System.Numerics.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class HyperMixTests
{
    private static readonly int[] TokenCounts = [1, 3, 17, 64];

    private static HyperSite<float> Site(int hc, int dim, int iters, Random rng) =>
        new(hc, dim, iters, 1e-6f, 1e-6f, TestWeights.RandomFloats(3, rng, 2), TestWeights.RandomFloats((2 + hc) * hc, rng, 1.5));

    private static void BitEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: [{i}] expected {expected[i]:R} got {actual[i]:R}");
    }

    [Theory]
    [InlineData(4, 1024, 20)]
    [InlineData(4, 37, 20)]
    [InlineData(1, 64, 20)]
    [InlineData(3, 40, 1)]
    [InlineData(9, 16, 5)]
    public void PreIsBitIdenticalToOneProductAndTheTwins(int hc, int dim, int iters)
    {
        var rng = new Random(hc * 1000 + dim);
        HyperSite<float> site = Site(hc, dim, iters, rng);
        int mixW = site.MixWidth, k = hc * dim;
        WeightMatrix fn = TestWeights.Make(WeightFormat.F32, mixW, k, rng);
        foreach (int tokens in TokenCounts)
        {
            float[] h = TestWeights.RandomFloats(tokens * k, rng, 4);
            var scratch = new float[HyperMix.ScratchSize(tokens, hc)];
            float[] pre = new float[tokens * hc], post = new float[tokens * hc], comb = new float[tokens * hc * hc], x = new float[tokens * dim];
            HyperMix.Pre<float>(h, tokens, fn, site, scratch, pre, post, comb, x);

            float[] mix = new float[tokens * mixW], ss = new float[tokens];
            MatMul.ForwardF32(h, fn, mix, tokens);
            for (int t = 0; t < tokens; t++) ss[t] = TensorPrimitives.Dot(h.AsSpan(t * k, k), h.AsSpan(t * k, k));
            float[] pre2 = new float[tokens * hc], post2 = new float[tokens * hc], comb2 = new float[tokens * hc * hc], x2 = new float[tokens * dim];
            HyperMixReference.Split<float>(mix, ss, tokens, site, pre2, post2, comb2);
            HyperMixReference.Collapse<float>(h, pre2, tokens, hc, dim, x2);

            string at = $"hc {hc} dim {dim} tokens {tokens}";
            BitEqual(pre2, pre, "pre " + at);
            BitEqual(post2, post, "post " + at);
            BitEqual(comb2, comb, "comb " + at);
            BitEqual(x2, x, "x " + at);
            for (int t = 0; t < tokens && iters > 1; t++)   // after a few iterations comb is doubly stochastic
                for (int j = 0; j < hc; j++)
                {
                    double col = 0;
                    for (int i = 0; i < hc; i++) col += comb[(t * hc + i) * hc + j];
                    Assert.InRange(col, 0.999, 1.0001);
                }

            // The sub-layer's norm fused after the collapse is Elementwise.RmsNorm of each row.
            float[] w = TestWeights.RandomFloats(dim, rng, 2), xn = new float[tokens * dim];
            HyperMix.Pre<float>(h, tokens, fn, site, scratch, pre, post, comb, xn, w, 1e-6f);
            for (int t = 0; t < tokens; t++) Elementwise.RmsNorm<float>(x2.AsSpan(t * dim, dim), w, 1e-6f, x2.AsSpan(t * dim, dim));
            BitEqual(x2, xn, "normed x " + at);

            // Without a collapse destination the coefficients are the same.
            float[] pre3 = new float[tokens * hc], post3 = new float[tokens * hc], comb3 = new float[tokens * hc * hc];
            HyperMix.Pre<float>(h, tokens, fn, site, scratch, pre3, post3, comb3, default);
            BitEqual(pre2, pre3, "pre without collapse " + at);
            BitEqual(comb2, comb3, "comb without collapse " + at);
        }
    }

    [Theory]
    [InlineData(4, 1024)]
    [InlineData(4, 37)]
    [InlineData(1, 9)]
    [InlineData(3, 100)]
    [InlineData(9, 24)]
    public void CollapseAndExpandAreBitIdenticalToTheTwin(int hc, int dim)
    {
        var rng = new Random(hc * 7 + dim);
        foreach (int tokens in TokenCounts)
        {
            float[] h = TestWeights.RandomFloats(tokens * hc * dim, rng, 5);
            float[] pre = TestWeights.RandomFloats(tokens * hc, rng, 2), comb = TestWeights.RandomFloats(tokens * hc * hc, rng, 1);
            float[] f = TestWeights.RandomFloats(tokens * dim, rng, 3);
            string at = $"hc {hc} dim {dim} tokens {tokens}";

            float[] x = new float[tokens * dim], x2 = new float[tokens * dim];
            HyperMix.Collapse<float>(h, pre, tokens, hc, dim, x);
            HyperMixReference.Collapse<float>(h, pre, tokens, hc, dim, x2);
            BitEqual(x2, x, "collapse " + at);

            float[] a = (float[])h.Clone(), b = (float[])h.Clone();
            HyperMix.Expand<float>(f, pre, comb, tokens, hc, dim, a);
            HyperMixReference.Expand<float>(f, pre, comb, tokens, hc, dim, b);
            BitEqual(b, a, "expand " + at);
            // The twin is the formula, every h_j read before h_k is written.
            int tt = tokens - 1, kk = hc - 1, e = dim / 2;
            float want = pre[tt * hc + kk] * f[tt * dim + e];
            for (int j = 0; j < hc; j++) want += comb[(tt * hc + j) * hc + kk] * h[(tt * hc + j) * dim + e];
            Assert.Equal(want, b[(tt * hc + kk) * dim + e]);
        }
    }

    [Fact]
    public void Float64RunsTheTwins()
    {
        var rng = new Random(5);
        const int hc = 4, dim = 24, tokens = 3;
        var sf = Site(hc, dim, 20, rng);
        var site = new HyperSite<double>(hc, dim, 20, 1e-6, 1e-6, sf.Scale.Select(v => (double)v).ToArray(), sf.Base.Select(v => (double)v).ToArray());
        WeightMatrix fn = TestWeights.Make(WeightFormat.F32, site.MixWidth, hc * dim, rng);
        double[] h = TestWeights.RandomFloats(tokens * hc * dim, rng, 2).Select(v => (double)v).ToArray();
        double[] pre = new double[tokens * hc], post = new double[tokens * hc], comb = new double[tokens * hc * hc], x = new double[tokens * dim];
        HyperMix.Pre<double>(h, tokens, fn, site, new double[HyperMix.ScratchSize(tokens, hc)], pre, post, comb, x);

        double[] mix = new double[tokens * site.MixWidth], ss = new double[tokens];
        MatMulReference.Forward<double>(h, fn, mix, tokens);
        for (int t = 0; t < tokens; t++) for (int i = 0; i < hc * dim; i++) ss[t] += h[t * hc * dim + i] * h[t * hc * dim + i];
        double[] pre2 = new double[tokens * hc], post2 = new double[tokens * hc], comb2 = new double[tokens * hc * hc], x2 = new double[tokens * dim];
        HyperMixReference.Split<double>(mix, ss, tokens, site, pre2, post2, comb2);
        HyperMixReference.Collapse<double>(h, pre2, tokens, hc, dim, x2);
        Assert.Equal(pre2, pre);
        Assert.Equal(post2, post);
        Assert.Equal(comb2, comb);
        Assert.Equal(x2, x);
    }

    [Fact]
    public void WrongShapesAreRefusedByName()
    {
        var rng = new Random(6);
        HyperSite<float> site = Site(4, 16, 20, rng);
        WeightMatrix fn = TestWeights.Make(WeightFormat.F32, 24, 60, rng);
        var e = Assert.Throws<ArgumentException>(() => HyperMix.Pre<float>(new float[64], 1, fn, site, new float[25], new float[4], new float[4], new float[16], default));
        Assert.Contains("[24, 60]", e.Message);
        WeightMatrix good = TestWeights.Make(WeightFormat.F32, 24, 64, rng);
        e = Assert.Throws<ArgumentException>(() => HyperMix.Pre<float>(new float[64], 1, good, site, new float[24], new float[4], new float[4], new float[16], default));
        Assert.Contains("scratch", e.Message);
        e = Assert.Throws<ArgumentException>(() => HyperMix.Expand<float>(new float[16], new float[4], new float[15], 1, 4, 16, new float[64]));
        Assert.Contains("comb", e.Message);
        e = Assert.Throws<ArgumentException>(() => HyperMix.Pre<float>(new float[64], 1, good, site, new float[25], new float[4], new float[4], new float[16], new float[16], new float[15], 1e-6f));
        Assert.Contains("norm weight of 15", e.Message);
        Assert.Throws<ArgumentException>(() => new HyperSite<float>(4, 16, 20, 1e-6f, 1e-6f, new float[3], new float[23]));
    }
}
