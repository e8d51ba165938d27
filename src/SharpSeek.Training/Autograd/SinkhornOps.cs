// mHC's Sinkhorn iterations as one op: a column normalisation, then (iters - 1) times a row and a
// column normalisation, of every n x n matrix. It computes exactly what the chain of
// NormalizeMatrixCols / NormalizeMatrixRows ops computes (its plain twin, tested bit for bit), but
// each matrix runs all its iterations in one worker, so a step makes one parallel loop and one
// saved-state buffer instead of 2 * iters - 1 of each.
namespace SharpSeek.Training.Autograd;

public static class SinkhornOps
{
    /// <summary>x [M, n*n] (M matrices, row-major) -> the doubly normalised matrices [M, n*n].</summary>
    public static Tensor Sinkhorn(this Tape tape, Tensor x, int n, int iters, float eps)
    {
        int nn = n * n, steps = 2 * iters - 1, m = x.Rows;
        if (x.Cols != nn) throw new ArgumentException($"sinkhorn: rows of {x.Cols} are not {n}x{n} matrices");
        if (iters < 1) throw new ArgumentException($"sinkhorn: {iters} iterations");
        Tensor y = Tape.Output(m, nn, x);
        // every step's input matrix and line sums, per matrix: [M, steps, n*n] and [M, steps, n]
        float[] inputs = new float[m * steps * nn], sums = new float[m * steps * n];
        Par.For(m, 64, (m0, m1) =>
        {
            Span<float> cur = stackalloc float[nn];
            for (int k = m0; k < m1; k++)
            {
                x.Data.AsSpan(k * nn, nn).CopyTo(cur);
                for (int s = 0; s < steps; s++)
                {
                    cur.CopyTo(inputs.AsSpan((k * steps + s) * nn, nn));
                    NormalizeLines(cur, n, eps, ColumnsAt(s), sums.AsSpan((k * steps + s) * n, n));
                }
                cur.CopyTo(y.Data.AsSpan(k * nn, nn));
            }
        });
        tape.Record(y, () => Par.For(m, 64, (m0, m1) =>
        {
            Span<float> gy = stackalloc float[nn], gx = stackalloc float[nn];
            for (int k = m0; k < m1; k++)
            {
                y.G.AsSpan(k * nn, nn).CopyTo(gy);
                for (int s = steps - 1; s >= 0; s--)
                {
                    ReadOnlySpan<float> xin = inputs.AsSpan((k * steps + s) * nn, nn);
                    ReadOnlySpan<float> sum = sums.AsSpan((k * steps + s) * n, n);
                    // the first step's gradient lands in x's buffer; the others in a fresh (zeroed) one, as the chain's tensors do
                    Span<float> dst = s == 0 ? x.G.AsSpan(k * nn, nn) : gx;
                    if (s > 0) dst.Clear();
                    NormalizeLinesBackward(gy, xin, sum, n, ColumnsAt(s), dst);
                    if (s > 0) gx.CopyTo(gy);
                }
            }
        }));
        return y;
    }

    // Step 0 normalises columns; then rows and columns alternate.
    private static bool ColumnsAt(int step) => step % 2 == 0;

    private static int Idx(int n, bool cols, int line, int pos) => cols ? pos * n + line : line * n + pos;

    /// <summary>Divides each line (row, or column when <paramref name="cols"/>) by its sum + eps, in place.</summary>
    private static void NormalizeLines(Span<float> v, int n, float eps, bool cols, Span<float> sums)
    {
        for (int a = 0; a < n; a++)
        {
            float s = 0;
            for (int b = 0; b < n; b++) s += v[Idx(n, cols, a, b)];
            s += eps;
            sums[a] = s;
            for (int b = 0; b < n; b++) v[Idx(n, cols, a, b)] /= s;
        }
    }

    /// <summary>gx += d(normalised)/d(input)^T gy for one normalisation step.</summary>
    private static void NormalizeLinesBackward(ReadOnlySpan<float> gy, ReadOnlySpan<float> xin, ReadOnlySpan<float> sums, int n, bool cols, Span<float> gx)
    {
        for (int a = 0; a < n; a++)
        {
            float s = sums[a];
            double dot = 0;
            for (int b = 0; b < n; b++) dot += (double)gy[Idx(n, cols, a, b)] * xin[Idx(n, cols, a, b)];
            float c = (float)(dot / ((double)s * s));
            for (int b = 0; b < n; b++) gx[Idx(n, cols, a, b)] += gy[Idx(n, cols, a, b)] / s - c;
        }
    }
}
