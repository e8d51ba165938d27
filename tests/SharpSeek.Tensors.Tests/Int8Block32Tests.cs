// The int8 requantisation of the fast vocabulary head: per-32 scales, rounding error at most half a
// step, the block maximum on code ±127, zero blocks, and clear errors for bad input.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Tests;

public class Int8Block32Tests
{
    [Fact]
    public void DecodedWeightsAreWithinHalfAStepOfTheOriginal()
    {
        var rng = new Random(5);
        const int rows = 7, cols = 96;
        var v = TestWeights.RandomFloats(rows * cols, rng, 3);
        Array.Clear(v, 32, 32);   // row 0, block 1 all zero
        var src = WeightMatrix.FromFloats("head.weight", v, rows, cols);
        var q = Int8Block32.Quantize(src);
        Assert.Equal(WeightFormat.Int8Block32, q.Format);
        Assert.Equal(rows * cols, q.DataBytes);
        Assert.Equal(cols / 32, q.ScaleCols);
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            q.DecodeRow(r, row);
            for (int b = 0; b < cols / 32; b++)
            {
                float amax = 0;
                for (int j = b * 32; j < b * 32 + 32; j++) amax = Math.Max(amax, Math.Abs(v[r * cols + j]));
                float step = amax / 127f;
                bool hitMax = false;
                for (int j = b * 32; j < b * 32 + 32; j++)
                {
                    Assert.True(Math.Abs(row[j] - v[r * cols + j]) <= step / 2 * 1.0001 + 1e-30, $"row {r} col {j}: {row[j]} for {v[r * cols + j]}");
                    hitMax |= amax > 0 && Math.Abs(Math.Abs(row[j]) - amax) <= amax * 1e-6;
                }
                Assert.True(amax == 0 || hitMax, $"row {r} block {b}: the block maximum is not on code ±127");
                if (amax == 0) for (int j = b * 32; j < b * 32 + 32; j++) Assert.Equal(0f, row[j]);
            }
        }
    }

    [Fact]
    public void NonFiniteWeightIsAnErrorNamingTheRow()
    {
        var v = new float[3 * 32];
        v[2 * 32 + 5] = float.NaN;
        var e = Assert.Throws<InvalidDataException>(() => Int8Block32.Quantize(WeightMatrix.FromFloats("head.weight", v, 3, 32)));
        Assert.Contains("head.weight", e.Message);
        Assert.Contains("row 2", e.Message);
    }

    [Fact]
    public void InFeaturesNotAMultipleOf32AreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Int8Block32.Quantize(WeightMatrix.FromFloats("head.weight", new float[2 * 40], 2, 40)));
        Assert.Contains("divisible by 32", e.Message);
    }
}
