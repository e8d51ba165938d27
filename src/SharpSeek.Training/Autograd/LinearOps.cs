// Linear maps of the training graph: y = x W^T, the grouped low-rank output projection (wo_a),
// embedding lookup. Every output and gradient element is summed by one worker in a fixed order
// (deterministic); Linear runs on the register-tiled Gemm kernel.
using System.Numerics.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

public static class LinearOps
{
    /// <summary>y [N, out] = x [N, in] · W^T with W [out, in].</summary>
    public static Tensor Linear(this Tape tape, Tensor x, Tensor w)
    {
        int inF = w.Cols, outF = w.Rows;
        if (x.Cols != inF) throw new ArgumentException($"linear: input has {x.Cols} columns, weight expects {inF}");
        int n = x.Rows;
        Tensor y = Tape.Output(n, outF, x, w);
        // 1. y [N, out] = x [N, in] · W^T [in, out] (W transposed once so the product is row-major)
        float[] wt = new float[inF * outF];
        Gemm.Transpose(w.Data, outF, inF, wt);
        Gemm.AB(x.Data, inF, wt, outF, y.Data, outF, n, outF, inF);
        tape.Record(y, () =>
        {
            // 2. gx [N, in] += gy [N, out] · W [out, in]
            if (x.RequiresGrad) Gemm.AB(y.G, outF, w.Data, inF, x.G, inF, n, inF, outF);
            // 3. gW [out, in] += gy^T [out, N] · x [N, in]
            if (w.RequiresGrad) Gemm.AtB(y.G, outF, x.Data, inF, w.G, inF, outF, inF, n);
        });
        return y;
    }

    /// <summary>
    /// Grouped projection: x [N, G*gin] is cut into G groups; u_g = x_g · W_g^T with W [G*gout, gin]
    /// (rows g*gout .. (g+1)*gout - 1 are group g) -> y [N, G*gout].
    /// </summary>
    public static Tensor GroupedLinear(this Tape tape, Tensor x, Tensor w, int groups)
    {
        int gin = w.Cols, gout = w.Rows / groups, n = x.Rows;
        if (x.Cols != groups * gin) throw new ArgumentException($"grouped linear: input has {x.Cols} columns, expected {groups} x {gin}");
        Tensor y = Tape.Output(n, groups * gout, x, w);
        float[] xd = x.Data, wd = w.Data, yd = y.Data;
        Par.For(n, 8, (s, e) =>
        {
            for (int r = s; r < e; r++)
                for (int g = 0; g < groups; g++)
                {
                    ReadOnlySpan<float> xr = xd.AsSpan(r * x.Cols + g * gin, gin);
                    for (int o = 0; o < gout; o++) yd[r * y.Cols + g * gout + o] = TensorPrimitives.Dot(xr, wd.AsSpan((g * gout + o) * gin, gin));
                }
        });
        tape.Record(y, () =>
        {
            float[] gy = y.G;
            if (x.RequiresGrad)
            {
                float[] gx = x.G;
                Par.For(n, 8, (s, e) =>
                {
                    for (int r = s; r < e; r++)
                        for (int g = 0; g < groups; g++)
                        {
                            Span<float> gr = gx.AsSpan(r * x.Cols + g * gin, gin);
                            for (int o = 0; o < gout; o++)
                            {
                                float gv = gy[r * y.Cols + g * gout + o];
                                if (gv != 0f) TensorPrimitives.MultiplyAdd(wd.AsSpan((g * gout + o) * gin, gin), gv, gr, gr);
                            }
                        }
                });
            }
            if (w.RequiresGrad)
            {
                float[] gw = w.G;
                Par.For(groups * gout, 4, (s, e) =>
                {
                    for (int row = s; row < e; row++)
                    {
                        int g = row / gout;
                        Span<float> gr = gw.AsSpan(row * gin, gin);
                        for (int r = 0; r < n; r++)
                        {
                            float gv = gy[r * y.Cols + row];
                            if (gv != 0f) TensorPrimitives.MultiplyAdd(xd.AsSpan(r * x.Cols + g * gin, gin), gv, gr, gr);
                        }
                    }
                });
            }
        });
        return y;
    }

    /// <summary>y [N, d] = E[ids[n]] for E [vocab, d].</summary>
    public static Tensor Embedding(this Tape tape, Tensor table, ReadOnlySpan<int> ids)
    {
        int d = table.Cols, n = ids.Length;
        int[] idx = ids.ToArray();
        Tensor y = Tape.Output(n, d, table);
        for (int r = 0; r < n; r++)
        {
            if ((uint)idx[r] >= (uint)table.Rows) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {idx[r]} outside [0, {table.Rows})");
            table.Data.AsSpan(idx[r] * d, d).CopyTo(y.Data.AsSpan(r * d, d));
        }
        tape.Record(y, () =>
        {
            float[] gt = table.G, gy = y.G;
            for (int r = 0; r < n; r++)
            {
                Span<float> dst = gt.AsSpan(idx[r] * d, d);
                TensorPrimitives.Add(dst, gy.AsSpan(r * d, d), dst);
            }
        });
        return y;
    }
}
