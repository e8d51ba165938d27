// MoE plumbing: routing weights from the gate scores of the chosen experts (gradient through
// the chosen scores only), gathering the rows sent to an expert and scattering the expert
// outputs back (summed in a fixed expert order).
using System.Numerics.Tensors;

namespace SharpSeek.Training.Autograd;

public static class RoutingOps
{
    /// <summary>w[t, i] = s[t, idx[t, i]] / (normalize ? sum_i s[t, idx[t, i]] : 1) * scale -> [N, k].</summary>
    public static Tensor RouteWeights(this Tape tape, Tensor s, int[] idx, int k, float scale, bool normalize)
    {
        int n = s.Rows, e = s.Cols;
        Tensor w = Tape.Output(n, k, s);
        float[] sums = new float[n];
        for (int t = 0; t < n; t++)
        {
            float sum = 0;
            for (int i = 0; i < k; i++) sum += s.Data[t * e + idx[t * k + i]];
            sums[t] = normalize ? sum : 1f;
            for (int i = 0; i < k; i++) w.Data[t * k + i] = s.Data[t * e + idx[t * k + i]] / sums[t] * scale;
        }
        tape.Record(w, () =>
        {
            for (int t = 0; t < n; t++)
            {
                double dot = 0;
                for (int i = 0; i < k; i++) dot += (double)w.G[t * k + i] * s.Data[t * e + idx[t * k + i]];
                for (int i = 0; i < k; i++)
                {
                    float g = w.G[t * k + i] * scale / sums[t];
                    if (normalize) g -= (float)(dot * scale / ((double)sums[t] * sums[t]));
                    s.G[t * e + idx[t * k + i]] += g;
                }
            }
        });
        return w;
    }

    /// <summary>Rows of x at the given indices -> [rows.Length, Cols].</summary>
    public static Tensor GatherRows(this Tape tape, Tensor x, int[] rows)
    {
        int c = x.Cols;
        Tensor y = Tape.Output(rows.Length, c, x);
        for (int i = 0; i < rows.Length; i++) x.Data.AsSpan(rows[i] * c, c).CopyTo(y.Data.AsSpan(i * c, c));
        tape.Record(y, () =>
        {
            for (int i = 0; i < rows.Length; i++)
            {
                Span<float> g = x.G.AsSpan(rows[i] * c, c);
                TensorPrimitives.Add(g, y.G.AsSpan(i * c, c), g);
            }
        });
        return y;
    }

    /// <summary>Flat elements of x at the given indices -> [idx.Length, 1].</summary>
    public static Tensor GatherFlat(this Tape tape, Tensor x, int[] idx)
    {
        Tensor y = Tape.Output(idx.Length, 1, x);
        for (int i = 0; i < idx.Length; i++) y.Data[i] = x.Data[idx[i]];
        tape.Record(y, () => { for (int i = 0; i < idx.Length; i++) x.G[idx[i]] += y.G[i]; });
        return y;
    }

    /// <summary>y [n, d] = sum over parts of part.Value scattered to part.Rows (parts in order).</summary>
    public static Tensor ScatterAdd(this Tape tape, int n, int d, IReadOnlyList<(Tensor Value, int[] Rows)> parts)
    {
        Tensor y = Tape.Output(n, d, parts.Select(p => (Tensor?)p.Value).ToArray());
        foreach (var (v, rows) in parts)
            for (int i = 0; i < rows.Length; i++)
            {
                Span<float> dst = y.Data.AsSpan(rows[i] * d, d);
                TensorPrimitives.Add(dst, v.Data.AsSpan(i * d, d), dst);
            }
        tape.Record(y, () =>
        {
            foreach (var (v, rows) in parts)
            {
                if (!v.RequiresGrad) continue;
                for (int i = 0; i < rows.Length; i++)
                {
                    Span<float> g = v.G.AsSpan(i * d, d);
                    TensorPrimitives.Add(g, y.G.AsSpan(rows[i] * d, d), g);
                }
            }
        });
        return y;
    }
}
