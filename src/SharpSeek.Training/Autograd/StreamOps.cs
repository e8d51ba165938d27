// The hc residual streams of mHC: copying a row into hc streams, the weighted collapse
// u = sum_i w_i h_i, and the write-back h'_j = post_j f + sum_i C[i, j] h_i.
using System.Numerics.Tensors;

namespace SharpSeek.Training.Autograd;

public static class StreamOps
{
    // Rows per parallel chunk: each row's outputs and gradients are written by one worker alone.
    private const int RowGrain = 32;

    /// <summary>x [N, d] -> [N, hc*d] (every stream a copy), plus add [N, hc*d] when given.</summary>
    public static Tensor Repeat(this Tape tape, Tensor x, int hc, Tensor? add = null)
    {
        int d = x.Cols, n = x.Rows;
        Tensor y = Tape.Output(n, hc * d, x, add);
        Par.For(n, RowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int k = 0; k < hc; k++)
                {
                    Span<float> dst = y.Data.AsSpan((r * hc + k) * d, d);
                    x.Data.AsSpan(r * d, d).CopyTo(dst);
                    if (add is not null) TensorPrimitives.Add(dst, add.Data.AsSpan((r * hc + k) * d, d), dst);
                }
        });
        tape.Record(y, () => Par.For(n, RowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int k = 0; k < hc; k++)
                {
                    ReadOnlySpan<float> g = y.G.AsSpan((r * hc + k) * d, d);
                    if (x.RequiresGrad) { Span<float> gx = x.G.AsSpan(r * d, d); TensorPrimitives.Add(gx, g, gx); }
                    if (add?.RequiresGrad ?? false) { Span<float> ga = add.G.AsSpan((r * hc + k) * d, d); TensorPrimitives.Add(ga, g, ga); }
                }
        }));
        return y;
    }

    /// <summary>u [N, d] = sum_i w[N, i] h[N, i, :] for h [N, hc*d], w [N, hc].</summary>
    public static Tensor Collapse(this Tape tape, Tensor h, Tensor w)
    {
        int hc = w.Cols, n = h.Rows, d = h.Cols / hc;
        Tensor u = Tape.Output(n, d, h, w);
        Par.For(n, RowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                Span<float> ur = u.Data.AsSpan(r * d, d);
                for (int i = 0; i < hc; i++) TensorPrimitives.MultiplyAdd(h.Data.AsSpan((r * hc + i) * d, d), w.Data[r * hc + i], ur, ur);
            }
        });
        tape.Record(u, () => Par.For(n, RowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                ReadOnlySpan<float> gu = u.G.AsSpan(r * d, d);
                for (int i = 0; i < hc; i++)
                {
                    ReadOnlySpan<float> hi = h.Data.AsSpan((r * hc + i) * d, d);
                    if (w.RequiresGrad) w.G[r * hc + i] += TensorPrimitives.Dot(gu, hi);
                    if (h.RequiresGrad) { Span<float> gh = h.G.AsSpan((r * hc + i) * d, d); TensorPrimitives.MultiplyAdd(gu, w.Data[r * hc + i], gh, gh); }
                }
            }
        }));
        return u;
    }

    /// <summary>h'[N, j, :] = post[N, j] f[N, :] + sum_i comb[N, i*hc + j] h[N, i, :].</summary>
    public static Tensor HcPost(this Tape tape, Tensor f, Tensor h, Tensor post, Tensor comb)
    {
        int hc = post.Cols, n = h.Rows, d = f.Cols;
        Tensor y = Tape.Output(n, hc * d, f, h, post, comb);
        Par.For(n, RowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int j = 0; j < hc; j++)
                {
                    Span<float> yr = y.Data.AsSpan((r * hc + j) * d, d);
                    TensorPrimitives.Multiply(f.Data.AsSpan(r * d, d), post.Data[r * hc + j], yr);
                    for (int i = 0; i < hc; i++)
                        TensorPrimitives.MultiplyAdd(h.Data.AsSpan((r * hc + i) * d, d), comb.Data[r * hc * hc + i * hc + j], yr, yr);
                }
        });
        tape.Record(y, () => Par.For(n, RowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int j = 0; j < hc; j++)
                {
                    ReadOnlySpan<float> gy = y.G.AsSpan((r * hc + j) * d, d);
                    ReadOnlySpan<float> fr = f.Data.AsSpan(r * d, d);
                    if (post.RequiresGrad) post.G[r * hc + j] += TensorPrimitives.Dot(gy, fr);
                    if (f.RequiresGrad) { Span<float> gf = f.G.AsSpan(r * d, d); TensorPrimitives.MultiplyAdd(gy, post.Data[r * hc + j], gf, gf); }
                    for (int i = 0; i < hc; i++)
                    {
                        int ci = r * hc * hc + i * hc + j;
                        ReadOnlySpan<float> hi = h.Data.AsSpan((r * hc + i) * d, d);
                        if (comb.RequiresGrad) comb.G[ci] += TensorPrimitives.Dot(gy, hi);
                        if (h.RequiresGrad) { Span<float> gh = h.G.AsSpan((r * hc + i) * d, d); TensorPrimitives.MultiplyAdd(gy, comb.Data[ci], gh, gh); }
                    }
                }
        }));
        return y;
    }
}
