// The plain twin of Gemm: C[m, n] += sum_k A(i, k) * B[k, n] with A(i, k) = a[i * rowStride + k * colStride],
// one fused multiply-add per k in increasing k order. Gemm gives bit-identical results.
namespace SharpSeek.Tensors.Kernels.Reference;

public static class GemmReference
{
    public static void MultiplyAdd(ReadOnlySpan<float> a, int rowStride, int colStride, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, int m, int n, int k)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float acc = c[i * ldc + j];
                for (int p = 0; p < k; p++) acc = MathF.FusedMultiplyAdd(a[i * rowStride + p * colStride], b[p * ldb + j], acc);
                c[i * ldc + j] = acc;
            }
    }
}
