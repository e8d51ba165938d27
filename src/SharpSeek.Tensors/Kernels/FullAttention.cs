// Bidirectional (unmasked) softmax attention over one sequence, per head: the ViT's attention.
// float32: flash-style over the worker team. Per head, K^T (per key block) and V [n, d] are gathered once;
// each work item is one block of QueryBlock queries, which walks the keys in blocks of KeyBlock:
// S = Q K^T (register tiles), the online softmax (running row max m and sum l; the block's
// probabilities exp(S - m) and the rescale exp(m_old - m) of the partial output), O += P V. Memory
// is O(QueryBlock x KeyBlock) per item, never n x n. Other precisions: the scalar twin
// (Reference/FullAttentionReference), which the tests compare it with on odd shapes.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static unsafe class FullAttention
{
    /// <summary>Query rows per work item.</summary>
    public const int QueryBlock = 64;
    /// <summary>Keys per online-softmax step (the item's scores: QueryBlock x KeyBlock floats, 64 KB).</summary>
    public const int KeyBlock = 256;

    /// <summary>o[n, heads*headDim] = softmax(q_h k_h^T / sqrt(headDim)) v_h per head; q, k, v rows have stride <paramref name="stride"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, int stride, int n, int heads, int headDim, Span<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        long need = (n - 1L) * stride + (long)heads * headDim;
        if (q.Length < need || k.Length < need || v.Length < need) throw new ArgumentException($"attention inputs shorter than {n} rows of stride {stride}");
        if (o.Length < (long)n * heads * headDim) throw new ArgumentException($"attention output shorter than {n} x {heads * headDim}");
        if (typeof(T) != typeof(float)) { FullAttentionReference.Forward(q, k, v, stride, n, heads, headDim, o); return; }
        fixed (T* pq = q, pk = k, pv = v, po = o)
            ForwardF32((float*)pq, (float*)pk, (float*)pv, stride, n, heads, headDim, (float*)po);
    }

    private struct Job
    {
        public float* Q, Kt, V, O;
        public int Stride, N, Heads, D, Head;
        public float Scale;
    }

    private static void ForwardF32(float* q, float* k, float* v, int stride, int n, int heads, int d, float* o)
    {
        float[] kt = ArrayPool<float>.Shared.Rent((n + KeyBlock - 1) / KeyBlock * KeyBlock * d), vh = ArrayPool<float>.Shared.Rent(n * d);
        try
        {
            fixed (float* pkt = kt, pvh = vh)
            {
                var job = new Job { Q = q, Kt = pkt, V = pvh, O = o, Stride = stride, N = n, Heads = heads, D = d, Scale = 1f / MathF.Sqrt(d) };
                for (int h = 0; h < heads; h++)
                {
                    // 1. gather the head's keys transposed per key block [n / KeyBlock, d, KeyBlock] (one block's
                    //    panel is contiguous) and its values [n, d]
                    for (int i = 0; i < n; i++)
                    {
                        float* ki = k + (long)i * stride + h * d, dst = pkt + (long)(i / KeyBlock) * d * KeyBlock + i % KeyBlock;
                        for (int c = 0; c < d; c++) dst[c * KeyBlock] = ki[c];
                        new ReadOnlySpan<float>(v + (long)i * stride + h * d, d).CopyTo(new Span<float>(pvh + (long)i * d, d));
                    }
                    // 2. every query block of the head over the team
                    job.Head = h;
                    WorkerTeam.Shared.Run((n + QueryBlock - 1) / QueryBlock, Unsafe.AsPointer(ref job), &RunBlock);   // job lives on this frame until Run returns
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(kt);
            ArrayPool<float>.Shared.Return(vh);
        }
    }

    /// <summary>x[j] = exp(x[j] - m) for j below n, in one pass; returns their sum.</summary>
    private static float ExpShiftedSum(float* x, int n, float m)
    {
        int j = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> vm = Vector512.Create(m), acc = Vector512<float>.Zero;
            for (; j + 16 <= n; j += 16)
            {
                Vector512<float> e = Vector512.Exp(Vector512.Load(x + j) - vm);
                e.Store(x + j);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        for (; j < n; j++) { x[j] = MathF.Exp(x[j] - m); sum += x[j]; }
        return sum;
    }

    private static void RunBlock(void* state, int block)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int n = j.N, d = j.D, i0 = block * QueryBlock, rows = Math.Min(QueryBlock, n - i0);
        int mr = TileKernel.Rows, nr = TileKernel.Cols;
        float[] rented = ArrayPool<float>.Shared.Rent(QueryBlock * (KeyBlock + 2 * d + 2));
        try
        {
            fixed (float* scratch = rented)
            {
                float* qs = scratch, s = qs + QueryBlock * d, acc = s + QueryBlock * KeyBlock, max = acc + QueryBlock * d, sum = max + QueryBlock;
                // 1. the block's queries, scaled by 1/sqrt(d) [rows, d]; empty output, m = -inf, l = 0
                for (int r = 0; r < rows; r++)
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(j.Q + (long)(i0 + r) * j.Stride + j.Head * d, d), j.Scale, new Span<float>(qs + r * d, d));
                new Span<float>(acc, rows * d).Clear();
                new Span<float>(max, rows).Fill(float.NegativeInfinity);
                new Span<float>(sum, rows).Clear();
                for (int j0 = 0; j0 < n; j0 += KeyBlock)
                {
                    int keys = Math.Min(KeyBlock, n - j0);
                    // 2. scores S = Q K^T of the key block                                         [rows, keys]
                    for (int r = 0; r < rows; r += mr)
                        for (int c = 0; c < keys; c += nr)
                            TileKernel.Run(qs + r * d, d, j.Kt + (long)j0 * d + c, KeyBlock, s + r * KeyBlock + c, KeyBlock, Math.Min(mr, rows - r), Math.Min(nr, keys - c), d, accumulate: false);
                    // 3. online softmax: new row max, P = exp(S - m), l = l exp(m_old - m) + sum P, O *= exp(m_old - m)
                    for (int r = 0; r < rows; r++)
                    {
                        var sr = new Span<float>(s + r * KeyBlock, keys);
                        float m = MathF.Max(max[r], TensorPrimitives.Max<float>(sr));
                        float alpha = MathF.Exp(max[r] - m);
                        sum[r] = sum[r] * alpha + ExpShiftedSum(s + r * KeyBlock, keys, m);
                        if (alpha != 1f) TensorPrimitives.Multiply(new ReadOnlySpan<float>(acc + r * d, d), alpha, new Span<float>(acc + r * d, d));
                        max[r] = m;
                    }
                    // 4. O += P V of the key block                                                 [rows, d]
                    for (int r = 0; r < rows; r += mr)
                        for (int c = 0; c < d; c += nr)
                            TileKernel.Run(s + r * KeyBlock, KeyBlock, j.V + (long)j0 * d + c, d, acc + r * d + c, d, Math.Min(mr, rows - r), Math.Min(nr, d - c), keys, accumulate: true);
                }
                // 5. O / l into the head's columns of the output
                for (int r = 0; r < rows; r++)
                    TensorPrimitives.Divide(new ReadOnlySpan<float>(acc + r * d, d), sum[r], new Span<float>(j.O + (long)(i0 + r) * j.Heads * d + j.Head * d, d));
            }
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }
}
