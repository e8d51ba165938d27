// The plain twin of FullAttention: bidirectional softmax attention of every query over every key of
// one sequence, per head, scale 1/sqrt(head_dim) (torch scaled_dot_product_attention without a mask).
using System.Numerics;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class FullAttentionReference
{
    /// <summary>o[n, h*d] = softmax(q_h k_h^T / sqrt(d)) v_h for each head h; q, k, v row stride <paramref name="stride"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, int stride, int n, int heads, int headDim, Span<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.One / T.Sqrt(T.CreateTruncating(headDim));
        var s = new T[n];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<T> qi = q.Slice(i * stride + h * headDim, headDim);
                for (int j = 0; j < n; j++)
                {
                    ReadOnlySpan<T> kj = k.Slice(j * stride + h * headDim, headDim);
                    T dot = T.Zero;
                    for (int c = 0; c < headDim; c++) dot += qi[c] * kj[c];
                    s[j] = dot * scale;
                }
                ElementwiseReference.Softmax<T>(s);
                Span<T> oi = o.Slice(i * heads * headDim + h * headDim, headDim);
                oi.Clear();
                for (int j = 0; j < n; j++)
                {
                    ReadOnlySpan<T> vj = v.Slice(j * stride + h * headDim, headDim);
                    for (int c = 0; c < headDim; c++) oi[c] += s[j] * vj[c];
                }
            }
    }
}
