// Bidirectional (unmasked) softmax attention over one sequence, per head: the ViT's attention.
// float32: per head and per block of QueryBlock query rows, S = Q K^T and O = P V as Gemm products
// (parallel over rows), softmax per row, so the scores take QueryBlock x n floats, not n x n;
// other precisions: the scalar twin (Reference/FullAttentionReference), which the tests compare it with.
using System.Numerics;
using System.Runtime.InteropServices;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static class FullAttention
{
    /// <summary>o[n, heads*headDim] = softmax(q_h k_h^T / sqrt(headDim)) v_h per head; q, k, v rows have stride <paramref name="stride"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, int stride, int n, int heads, int headDim, Span<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        long need = (n - 1L) * stride + (long)heads * headDim;
        if (q.Length < need || k.Length < need || v.Length < need) throw new ArgumentException($"attention inputs shorter than {n} rows of stride {stride}");
        if (o.Length < (long)n * heads * headDim) throw new ArgumentException($"attention output shorter than {n} x {heads * headDim}");
        if (typeof(T) != typeof(float)) { FullAttentionReference.Forward(q, k, v, stride, n, heads, headDim, o); return; }
        ForwardF32(MemoryMarshal.Cast<T, float>(q), MemoryMarshal.Cast<T, float>(k), MemoryMarshal.Cast<T, float>(v), stride, n, heads, headDim, MemoryMarshal.Cast<T, float>(o));
    }

    /// <summary>Query rows per score block (the scores of one block: QueryBlock x n floats).</summary>
    public const int QueryBlock = 256;

    private static void ForwardF32(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int stride, int n, int heads, int d, Span<float> o)
    {
        float scale = 1f / MathF.Sqrt(d);
        var qh = new float[n * d];
        var kt = new float[d * n];
        var vh = new float[n * d];
        int block = Math.Min(n, QueryBlock);
        var s = new float[(long)block * n];
        var oh = new float[block * d];
        for (int h = 0; h < heads; h++)
        {
            // 1. gather the head: Q scaled [n, d], K^T [d, n], V [n, d]
            for (int i = 0; i < n; i++)
                for (int c = 0; c < d; c++)
                {
                    qh[i * d + c] = q[i * stride + h * d + c] * scale;
                    kt[c * n + i] = k[i * stride + h * d + c];
                    vh[i * d + c] = v[i * stride + h * d + c];
                }
            for (int r0 = 0; r0 < n; r0 += block)
            {
                int rows = Math.Min(block, n - r0);
                // 2. scores of the block's queries and softmax per row                        [rows, n]
                Array.Clear(s);
                Gemm.AB(qh.AsSpan(r0 * d), d, kt, n, s, n, rows, n, d);
                for (int i = 0; i < rows; i++) Elementwise.Softmax(s.AsSpan(i * n, n));
                // 3. weighted values                                                          [rows, d]
                Array.Clear(oh);
                Gemm.AB(s, n, vh, d, oh, d, rows, d, n);
                for (int i = 0; i < rows; i++) oh.AsSpan(i * d, d).CopyTo(o.Slice((r0 + i) * heads * d + h * d, d));
            }
        }
    }
}
