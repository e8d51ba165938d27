// RoPE: inverse(Apply(x)) = x, Apply matches the rotation formula, and the YaRN frequencies of the
// V4-Flash compressed layers equal an independent evaluation of the formula in the architecture doc.
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Tensors.Tests;

public class RopeTests
{
    private static readonly RopeParameters Flash = new(64, 160000, true, 16, 65536, 32, 1);

    [Fact]
    public void YarnFrequenciesMatchIndependentFormula()
    {
        double lnb = Math.Log(160000);
        double low = Math.Floor(64 * Math.Log(65536 / (32 * 2 * Math.PI)) / (2 * lnb));
        double high = Math.Ceiling(64 * Math.Log(65536 / (1 * 2 * Math.PI)) / (2 * lnb));
        low = Math.Clamp(low, 0, 63); high = Math.Clamp(high, 0, 63);
        Assert.Equal(15, low);
        Assert.Equal(25, high);
        var table = new RopeTable<double>(Flash);
        for (int i = 0; i < 32; i++)
        {
            double f = Math.Pow(160000, -2.0 * i / 64);
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            double expected = f / 16 * ramp + f * (1 - ramp);
            Assert.Equal(expected, table.Frequencies[i], expected * 1e-13);
        }
        var tf = new RopeTable<float>(Flash);
        for (int i = 0; i < 32; i++) Assert.Equal(table.Frequencies[i], tf.Frequencies[i], table.Frequencies[i] * 1e-6);
    }

    [Fact]
    public void PlainFrequenciesWithoutYarn()
    {
        var t = new RopeTable<double>(new RopeParameters(64, 10000, false, 1, 0, 0, 0));
        for (int i = 0; i < 32; i++) Assert.Equal(Math.Pow(10000, -2.0 * i / 64), t.Frequencies[i], 1e-15);
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(4097)] [InlineData(1_000_000)]
    public void InverseUndoesApplyAndRotationIsExact(long pos)
    {
        var rng = new Random((int)pos);
        var td = new RopeTable<double>(Flash);
        var tf = new RopeTable<float>(Flash);
        var x = new double[64];
        for (int i = 0; i < 64; i++) x[i] = rng.NextDouble() * 2 - 1;
        var y = (double[])x.Clone();
        td.Apply(y, pos);
        for (int i = 0; i < 32; i++)
        {
            double ang = pos * td.Frequencies[i];
            Assert.Equal(x[2 * i] * Math.Cos(ang) - x[2 * i + 1] * Math.Sin(ang), y[2 * i], 1e-12);
            Assert.Equal(x[2 * i] * Math.Sin(ang) + x[2 * i + 1] * Math.Cos(ang), y[2 * i + 1], 1e-12);
        }
        td.Apply(y, pos, inverse: true);
        for (int i = 0; i < 64; i++) Assert.Equal(x[i], y[i], 1e-12);
        var f = Array.ConvertAll(x, v => (float)v);
        tf.Apply(f, pos);
        tf.Apply(f, pos, inverse: true);
        for (int i = 0; i < 64; i++) Assert.Equal(x[i], f[i], 1e-5);
        Assert.Throws<ArgumentException>(() => tf.Apply(new float[62], pos));
    }

    [Theory]
    [InlineData(0, false)] [InlineData(77, false)] [InlineData(4097, true)] [InlineData(1_000_000, true)]
    public void ApplyHeadsEqualsApplyPerHeadBitForBit(long pos, bool inverse)
    {
        var rng = new Random((int)pos + 3);
        var t = new RopeTable<float>(Flash);
        const int heads = 5, stride = 96, offset = 32;
        var x = new float[heads * stride];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var want = (float[])x.Clone();
        for (int h = 0; h < heads; h++) t.Apply(want.AsSpan(h * stride + offset, 64), pos, inverse);
        float[] cos = new float[32], sin = new float[32];
        t.Angles(pos, cos, sin);
        t.ApplyHeads(x, stride, offset, cos, sin, inverse);
        Assert.Equal(want, x);
        Assert.Throws<ArgumentException>(() => t.ApplyHeads(new float[95], stride, offset, cos, sin));
        Assert.Throws<ArgumentException>(() => t.ApplyHeads(new float[96], stride, 40, cos, sin));
        Assert.Throws<ArgumentException>(() => t.ApplyHeads(new float[96], stride, offset, cos.AsSpan(0, 31), sin));
        Assert.Throws<ArgumentException>(() => t.Angles(pos, cos, new float[3]));
    }
}
