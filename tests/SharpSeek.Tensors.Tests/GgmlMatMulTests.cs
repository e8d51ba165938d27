// Products with ggml-block weights (WeightFormat.Ggml): the fast MatMul (panels decoded by
// GgmlBlocksFast, vector dots, threads) against its scalar twin MatMulReference (each row dequantised
// block by block by GgmlBlocks, then a plain dot) for every block format, on odd shapes (rows 1..13,
// rows crossing the 1024-column panel), 1-5 tokens, and blocks with extreme scales: random bytes,
// so f16/f32 scales range from subnormal to the largest finite values (blocks decoding to
// non-finite values are redrawn, as no real file holds them).
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public sealed class GgmlMatMulTests
{
    public static TheoryData<GgmlType> Types() => new(Enum.GetValues<GgmlType>().Where(GgmlBlocks.CanDequantize));

    private static unsafe (WeightMatrix W, byte[] Keep) RandomMatrix(GgmlType type, int rows, int cols, Random rng)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        int blocks = rows * cols / info.BlockElements;
        var data = GC.AllocateArray<byte>(blocks * info.BlockBytes, pinned: true);
        var block = new byte[info.BlockBytes];
        var values = new float[info.BlockElements];
        for (int b = 0; b < blocks; b++)
        {
            do
            {
                rng.NextBytes(block);
                GgmlBlocks.Dequantize(type, block, values);
            } while (values.Any(v => !float.IsFinite(v) || Math.Abs(v) > 1e30f));
            block.CopyTo(data, b * info.BlockBytes);
        }
        fixed (byte* p = data) return (new WeightMatrix($"w.{info.Name}", info, rows, cols, p, data), data);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void FastEqualsTheDequantiseThenDotTwin(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random(1000 + (int)type);
        int[] blockCounts = info.BlockElements == 1 ? [1, 31, 1030] : info.BlockElements == 32 ? [1, 3, 33] : [1, 5];
        foreach (int rows in new[] { 1, 3, 4, 7, 13 })
        foreach (int nb in blockCounts)
        {
            int cols = nb * info.BlockElements;
            var (w, keep) = RandomMatrix(type, rows, cols, rng);
            foreach (int tokens in new[] { 1, 2, 3, 5 })
            {
                float[] x = new float[tokens * cols];
                for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
                float[] fast = new float[tokens * rows], twin = new float[tokens * rows];
                MatMul.ForwardF32(x, w, fast, tokens);
                MatMulReference.Forward<float>(x, w, twin, tokens);
                var row = new float[cols];
                for (int o = 0; o < rows; o++)
                {
                    w.DecodeRow(o, row);
                    for (int t = 0; t < tokens; t++)
                    {
                        double mag = 0;
                        for (int i = 0; i < cols; i++) mag += Math.Abs((double)x[t * cols + i] * row[i]);
                        float f = fast[t * rows + o], r = twin[t * rows + o];
                        Assert.True(Math.Abs(f - r) <= 1e-5 * mag + 1e-30, $"{info.Name} [{rows}x{cols}] token {t} row {o}: fast {f:R} twin {r:R} (sum |xw| {mag:G3})");
                    }
                }
            }
            GC.KeepAlive(keep);
        }
    }

    /// <summary>A token alone (Q8_0 / MXFP4 / Q4_K: the fused in-register decode; Q6_K, Q2_K: the panel) equals the same token in a batch (the panel path) bit for bit.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.MXFP4)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.Q2_K)]
    public void ATokenAloneEqualsTheTokenInABatchBitForBit(GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random(77 + (int)type);
        foreach (int rows in new[] { 1, 5, 9 })
        foreach (int cols in new[] { 256, 1024, 1280, 2304 })
        {
            var (w, keep) = RandomMatrix(type, rows, cols, rng);
            float[] x = new float[3 * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            float[] batch = new float[3 * rows], alone = new float[rows];
            MatMul.ForwardF32(x, w, batch, 3);
            for (int t = 0; t < 3; t++)
            {
                MatMul.ForwardF32(x.AsSpan(t * cols, cols), w, alone, 1);
                for (int o = 0; o < rows; o++)
                    Assert.True(BitConverter.SingleToInt32Bits(alone[o]) == BitConverter.SingleToInt32Bits(batch[t * rows + o]),
                        $"{info.Name} [{rows}x{cols}] token {t} row {o}: alone {alone[o]:R}, in the batch {batch[t * rows + o]:R}");
            }
            GC.KeepAlive(keep);
        }
    }

    [Fact]
    public unsafe void RowsAreWholeBlocksAndTheTypeMustDecode()
    {
        byte[] data = GC.AllocateArray<byte>(34, pinned: true);
        fixed (byte* fp = data)
        {
            nint p = (nint)fp;
            Assert.Throws<ArgumentException>(() => new WeightMatrix("w", GgmlTypes.Info(GgmlType.Q8_0), 1, 16, (byte*)p));
            Assert.Throws<NotSupportedException>(() => new WeightMatrix("w", GgmlTypes.Info(GgmlType.Q8_1), 1, 32, (byte*)p));
            var w = new WeightMatrix("w", GgmlTypes.Info(GgmlType.Q8_0), 1, 32, fp);
            Assert.Equal(34, w.RowBytes);
            Assert.Equal(34, w.DataBytes);
        }
    }
}
