// V4.1's compressed-KV format (FP4 e2m1, one E4M3 scale per 16): the fake quant is decode(encode(x)),
// the scale is e4m3(amax / 6), codes round to nearest even, and the amax floor keeps zero blocks finite.
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public sealed class FakeQuantFp4E4M3Tests
{
    [Fact]
    public void KnownBlockQuantisesOnTheScaledGrid()
    {
        // amax 6 -> scale e4m3(1) = 1: values land on the e2m1 grid {0, .5, 1, 1.5, 2, 3, 4, 6}
        double[] x = [6, -6, 0.2, 0.3, 0.75, 1.25, 2.5, 3.5, 5, -0.26, 0, 1, 1.6, 2.4, 4.9, -5.1];
        double[] want = [6, -6, 0, 0.5, 1, 1, 2, 4, 4, -0.5, 0, 1, 1.5, 2, 4, -6];
        FakeQuantFp4E4M3Reference.Apply<double>(x, 16);
        Assert.Equal(want, x);
    }

    [Fact]
    public void StoredRowsDecodeToTheFakeQuantisedValues()
    {
        var rng = new Random(5);
        for (int n = 0; n < 20; n++)
        {
            double[] x = Enumerable.Range(0, 64).Select(_ => (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-4, 4))).ToArray();
            double[] fake = (double[])x.Clone();
            FakeQuantFp4E4M3Reference.Apply<double>(fake, 16);
            byte[] packed = new byte[32], scales = new byte[4];
            FakeQuantFp4E4M3Reference.Encode<double>(x, 16, packed, scales);
            double[] back = new double[64];
            FakeQuantFp4E4M3Reference.Decode<double>(packed, scales, 16, back);
            Assert.Equal(fake, back);
            Assert.All(fake, v => Assert.True(double.IsFinite(v)));
        }
        double[] zeros = new double[16];
        FakeQuantFp4E4M3Reference.Apply<double>(zeros, 16);
        Assert.All(zeros, v => Assert.Equal(0.0, v));
    }
}
