// MatMulTiled (cache-tiled, register tiles over the worker team) against its scalar twin: bit for
// bit on odd shapes (token rows not a multiple of the tile, columns not a multiple of the sliver,
// depth not a multiple of the k block) in every weight format, and close to MatMulReference.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public sealed class MatMulTiledTests
{
    public static TheoryData<WeightFormat, int, int, int> Shapes() => new()
    {
        { WeightFormat.F32, 1, 1, 1 },
        { WeightFormat.F32, 9, 37, 19 },
        { WeightFormat.BF16, 7, 33, 300 },
        { WeightFormat.BF16, 131, 70, 257 },        // two token blocks (+3), three column blocks, two k blocks
        { WeightFormat.BF16, 300, 129, 515 },
        { WeightFormat.Fp8Block128, 13, 65, 300 },
        { WeightFormat.Fp4Block32, 17, 40, 288 },
        { WeightFormat.Int8Block32, 10, 31, 96 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsScalarTwinBitForBit(WeightFormat format, int tokens, int rows, int cols)
    {
        var rng = new Random(tokens * 1009 + rows * 31 + cols);
        WeightMatrix w = TestWeights.Make(format, rows, cols, rng);
        float[] x = TestWeights.RandomFloats(tokens * cols, rng);
        var fast = new float[tokens * rows];
        var twin = new float[tokens * rows];
        fast.AsSpan().Fill(float.NaN);   // every output is written, none is read before
        MatMulTiled.Forward<float>(x, w, fast, tokens);
        MatMulTiledReference.Forward(x, w, twin, tokens);
        for (int i = 0; i < fast.Length; i++) Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(twin[i]), $"[{i / rows}, {i % rows}] {fast[i]} vs {twin[i]}");
        // and the same product as the engine's plain MatMul twin, up to summation rounding
        var plain = new float[tokens * rows];
        MatMulReference.Forward<float>(x, w, plain, tokens);
        var row = new float[cols];
        for (int o = 0; o < rows; o++)
        {
            w.DecodeRow(o, row);
            for (int t = 0; t < tokens; t++)
            {
                double scale = 0;   // sum |x w|: the size of the rounding of either summation order
                for (int i = 0; i < cols; i++) scale += Math.Abs((double)x[t * cols + i] * row[i]);
                float a = fast[t * rows + o], b = plain[t * rows + o];
                Assert.True(Math.Abs(a - b) <= 1e-5 * (1 + scale), $"[{t}, {o}] {a} vs {b}");
            }
        }
    }

    [Fact]
    public void EachTokenIsTheSameAloneAsInABatch()
    {
        var rng = new Random(5);
        WeightMatrix w = TestWeights.Make(WeightFormat.BF16, 45, 260, rng);
        float[] x = TestWeights.RandomFloats(11 * 260, rng);
        var batch = new float[11 * 45];
        MatMulTiled.Forward<float>(x, w, batch, 11);
        var one = new float[45];
        for (int t = 0; t < 11; t++)
        {
            MatMulTiled.Forward<float>(x.AsSpan(t * 260, 260), w, one, 1);
            Assert.Equal(batch.AsSpan(t * 45, 45).ToArray(), one);
        }
    }

    [Fact]
    public void DoubleRunsThePlainTwinAndShortBuffersAreRefused()
    {
        var rng = new Random(9);
        WeightMatrix w = TestWeights.Make(WeightFormat.BF16, 5, 8, rng);
        double[] x = Enumerable.Range(0, 16).Select(i => i * 0.25).ToArray();
        var y = new double[10];
        var plain = new double[10];
        MatMulTiled.Forward<double>(x, w, y, 2);
        MatMulReference.Forward<double>(x, w, plain, 2);
        Assert.Equal(plain, y);
        var e = Assert.Throws<ArgumentException>(() => MatMulTiled.Forward<float>(new float[15], w, new float[10], 2));
        Assert.Contains("need 2x8", e.Message);
    }
}
