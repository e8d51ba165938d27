// Normalisations: RMSNorm (with or without weight), the mHC mix scaling by rsqrt(mean(h^2)+eps),
// row softmax, and the row/column normalisations the Sinkhorn iterations are built from.
using System.Numerics.Tensors;

namespace SharpSeek.Training.Autograd;

public static class NormOps
{
    /// <summary>Each row of x: y = x * rsqrt(mean(x^2) + eps) * w (w may be null: no weight).</summary>
    public static Tensor RmsNorm(this Tape tape, Tensor x, Tensor? w, float eps)
    {
        int d = x.Cols, n = x.Rows;
        if (w is not null && w.Length != d) throw new ArgumentException($"rmsnorm: weight has {w.Length} values for rows of {d}");
        Tensor y = Tape.Output(n, d, x, w);
        float[] rs = new float[n];
        // 1. rows in parallel: y = x * rsqrt(mean(x^2) + eps) (* w)
        Par.For(n, 64, (s, e) =>
        {
            for (int r = s; r < e; r++)
            {
                ReadOnlySpan<float> xr = x.Data.AsSpan(r * d, d);
                float inv = 1f / MathF.Sqrt(TensorPrimitives.Dot(xr, xr) / d + eps);
                rs[r] = inv;
                Span<float> yr = y.Data.AsSpan(r * d, d);
                TensorPrimitives.Multiply(xr, inv, yr);
                if (w is not null) TensorPrimitives.Multiply(yr, w.Data, yr);
            }
        });
        tape.Record(y, () =>
        {
            // 2. fixed blocks of rows in parallel; each block sums its own share of dw, added in block order
            const int block = 64;
            int blocks = (n + block - 1) / block;
            bool wantW = w is not null && w.RequiresGrad;
            float[][] dw = new float[wantW ? blocks : 0][];
            Par.For(blocks, 1, (b0, b1) =>
            {
                float[] gw = new float[d];
                for (int blk = b0; blk < b1; blk++)
                {
                    float[]? part = wantW ? dw[blk] = new float[d] : null;
                    for (int r = blk * block; r < Math.Min(n, (blk + 1) * block); r++)
                    {
                        float inv = rs[r];
                        double dot = 0;
                        for (int i = 0; i < d; i++)
                        {
                            float g = y.G[r * d + i], xi = x.Data[r * d + i];
                            if (w is not null) { if (part is not null) part[i] += g * xi * inv; g *= w.Data[i]; }
                            gw[i] = g;
                            dot += (double)g * xi;
                        }
                        if (!x.RequiresGrad) continue;
                        float c = (float)(dot * inv * inv * inv / d);
                        for (int i = 0; i < d; i++) x.G[r * d + i] += gw[i] * inv - x.Data[r * d + i] * c;
                    }
                }
            });
            foreach (float[] part in dw) TensorPrimitives.Add(w!.G, part, w.G);
        });
        return y;
    }

    /// <summary>mHC: y[r] = mix[r] * rsqrt(mean(h[r]^2) + eps) (h [N, hc*d], mix [N, m]).</summary>
    public static Tensor MulRowRms(this Tape tape, Tensor mix, Tensor h, float eps)
    {
        int n = mix.Rows, m = mix.Cols, k = h.Cols;
        Tensor y = Tape.Output(n, m, mix, h);
        float[] rs = new float[n];
        Par.For(n, 32, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                ReadOnlySpan<float> hr = h.Data.AsSpan(r * k, k);
                rs[r] = 1f / MathF.Sqrt(TensorPrimitives.Dot(hr, hr) / k + eps);
                for (int i = 0; i < m; i++) y.Data[r * m + i] = mix.Data[r * m + i] * rs[r];
            }
        });
        tape.Record(y, () => Par.For(n, 32, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                double dr = 0;
                for (int i = 0; i < m; i++)
                {
                    float g = y.G[r * m + i];
                    if (mix.RequiresGrad) mix.G[r * m + i] += g * rs[r];
                    dr += (double)g * mix.Data[r * m + i];
                }
                if (!h.RequiresGrad) continue;
                // d rs / d h_i = -rs^3 h_i / k
                float c = (float)(-dr * rs[r] * rs[r] * rs[r] / k);
                for (int i = 0; i < k; i++) h.G[r * k + i] += c * h.Data[r * k + i];
            }
        }));
        return y;
    }

    /// <summary>Softmax over each row.</summary>
    public static Tensor Softmax(this Tape tape, Tensor x)
    {
        int n = x.Rows, c = x.Cols;
        Tensor y = Tape.Output(n, c, x);
        int grain = Math.Max(1, 4096 / c);
        Par.For(n, grain, (r0, r1) => { for (int r = r0; r < r1; r++) TensorPrimitives.SoftMax(x.Data.AsSpan(r * c, c), y.Data.AsSpan(r * c, c)); });
        tape.Record(y, () => Par.For(n, grain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                ReadOnlySpan<float> yr = y.Data.AsSpan(r * c, c), gr = y.G.AsSpan(r * c, c);
                float dot = TensorPrimitives.Dot(yr, gr);
                for (int i = 0; i < c; i++) x.G[r * c + i] += yr[i] * (gr[i] - dot);
            }
        }));
        return y;
    }

    /// <summary>Each row holds an n x n matrix; divides every matrix row by (its sum + eps).</summary>
    public static Tensor NormalizeMatrixRows(this Tape tape, Tensor x, int n, float eps) => Normalize(tape, x, n, eps, rows: true);

    /// <summary>Each row holds an n x n matrix; divides every matrix column by (its sum + eps).</summary>
    public static Tensor NormalizeMatrixCols(this Tape tape, Tensor x, int n, float eps) => Normalize(tape, x, n, eps, rows: false);

    private static Tensor Normalize(Tape tape, Tensor x, int n, float eps, bool rows)
    {
        if (x.Cols != n * n) throw new ArgumentException($"normalize: rows of {x.Cols} are not {n}x{n} matrices");
        Tensor y = Tape.Output(x.Rows, x.Cols, x);
        int Idx(int m, int a, int b) => m * n * n + (rows ? a * n + b : b * n + a);   // a: the line, b: position in it
        float[] sums = new float[x.Rows * n];
        // matrices in parallel: each is read and written by one worker
        Par.For(x.Rows, 256, (m0, m1) =>
        {
            for (int m = m0; m < m1; m++)
                for (int a = 0; a < n; a++)
                {
                    float s = 0;
                    for (int b = 0; b < n; b++) s += x.Data[Idx(m, a, b)];
                    s += eps;
                    sums[m * n + a] = s;
                    for (int b = 0; b < n; b++) y.Data[Idx(m, a, b)] = x.Data[Idx(m, a, b)] / s;
                }
        });
        tape.Record(y, () => Par.For(x.Rows, 256, (m0, m1) =>
        {
            for (int m = m0; m < m1; m++)
                for (int a = 0; a < n; a++)
                {
                    float s = sums[m * n + a];
                    double dot = 0;
                    for (int b = 0; b < n; b++) dot += (double)y.G[Idx(m, a, b)] * x.Data[Idx(m, a, b)];
                    float c = (float)(dot / ((double)s * s));
                    for (int b = 0; b < n; b++) x.G[Idx(m, a, b)] += y.G[Idx(m, a, b)] / s - c;
                }
        }));
        return y;
    }
}
