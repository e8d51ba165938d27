// Gemm (register-tiled, multi-core) against its plain twin GemmReference: both sum each element in
// k order with fused multiply-adds, so the results must be bit-identical for every shape, including
// row and column tails, leading dimensions wider than the row, and sizes that run in parallel.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class GemmTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 1, 1 }, { 3, 5, 7 }, { 4, 32, 16 }, { 5, 33, 9 }, { 8, 64, 128 }, { 17, 100, 31 },
        { 64, 96, 128 }, { 130, 24, 257 }, { 257, 129, 64 }, { 512, 128, 96 }, { 96, 128, 1024 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ABEqualsReference(int m, int n, int k)
    {
        var rng = new Random(m * 131 + n * 17 + k);
        int lda = k + 3, ldb = n + 5, ldc = n + 2;
        float[] a = Rand(m * lda, rng), b = Rand(k * ldb, rng), c0 = Rand(m * ldc, rng);
        float[] fast = (float[])c0.Clone(), slow = (float[])c0.Clone();
        Gemm.AB(a, lda, b, ldb, fast, ldc, m, n, k);
        GemmReference.MultiplyAdd(a, lda, 1, b, ldb, slow, ldc, m, n, k);
        Assert.Equal(slow, fast);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AtBEqualsReference(int m, int n, int k)
    {
        var rng = new Random(m * 7 + n * 131 + k);
        int lda = m + 1, ldb = n, ldc = n;
        float[] a = Rand(k * lda, rng), b = Rand(k * ldb, rng), c0 = Rand(m * ldc, rng);
        float[] fast = (float[])c0.Clone(), slow = (float[])c0.Clone();
        Gemm.AtB(a, lda, b, ldb, fast, ldc, m, n, k);
        GemmReference.MultiplyAdd(a, 1, lda, b, ldb, slow, ldc, m, n, k);
        Assert.Equal(slow, fast);
    }

    [Fact]
    public void TransposeSwapsRowsAndColumns()
    {
        float[] src = Rand(37 * 45, new Random(3)), dst = new float[37 * 45];
        Gemm.Transpose(src, 37, 45, dst);
        for (int r = 0; r < 37; r++)
            for (int c = 0; c < 45; c++) Assert.Equal(src[r * 45 + c], dst[c * 37 + r]);
    }

    [Fact]
    public void ShortBuffersAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.AB(new float[10], 4, new float[16], 4, new float[16], 4, 4, 4, 4));
        Assert.Contains("A has 10 values", e.Message);
        Assert.Throws<ArgumentException>(() => Gemm.AtB(new float[16], 4, new float[15], 4, new float[16], 4, 4, 4, 4));
    }

    private static float[] Rand(int n, Random rng)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
