// Pointwise ops and their derivatives: add, multiply, scale, sigmoid, softplus, sqrt, the clamped
// SwiGLU of the experts, bias adds (plain, sliced and positional like the compressor's ape), and
// scalar-parameter scaling (mHC scale).
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Training.Autograd;

public static class ElementwiseOps
{
    // Elements per parallel chunk: every element is computed alone, so any split gives the same bits.
    private const int Grain = 16384;

    /// <summary>y = f(x) with dy/dx = df(x, y).</summary>
    public static Tensor Map(this Tape tape, Tensor x, Func<float, float> f, Func<float, float, float> df)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x);
        Par.For(x.Length, Grain, (s, e) => { for (int i = s; i < e; i++) y.Data[i] = f(x.Data[i]); });
        tape.Record(y, () =>
        {
            float[] gx = x.G, gy = y.G;
            Par.For(x.Length, Grain, (s, e) => { for (int i = s; i < e; i++) gx[i] += gy[i] * df(x.Data[i], y.Data[i]); });
        });
        return y;
    }

    public static Tensor Sigmoid(this Tape tape, Tensor x) => tape.Map(x, v => Elementwise.Sigmoid(v), (_, y) => y * (1 - y));
    public static Tensor Softplus(this Tape tape, Tensor x) => tape.Map(x, v => Elementwise.Softplus(v), (v, _) => Elementwise.Sigmoid(v));
    public static Tensor Sqrt(this Tape tape, Tensor x) => tape.Map(x, MathF.Sqrt, (_, y) => y > 0 ? 0.5f / y : 0f);
    public static Tensor Scale(this Tape tape, Tensor x, float a) => tape.Map(x, v => v * a, (_, _) => a);
    public static Tensor AddConst(this Tape tape, Tensor x, float a) => tape.Map(x, v => v + a, (_, _) => 1f);

    public static Tensor Add(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"add: {a.Length} vs {b.Length} values");
        Tensor y = Tape.Output(a.Rows, a.Cols, a, b);
        Par.For(a.Length, Grain, (s, e) => { for (int i = s; i < e; i++) y.Data[i] = a.Data[i] + b.Data[i]; });
        tape.Record(y, () => Par.For(a.Length, Grain, (s, e) =>
        {
            if (a.RequiresGrad) for (int i = s; i < e; i++) a.G[i] += y.G[i];
            if (b.RequiresGrad) for (int i = s; i < e; i++) b.G[i] += y.G[i];
        }));
        return y;
    }

    public static Tensor Mul(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"mul: {a.Length} vs {b.Length} values");
        Tensor y = Tape.Output(a.Rows, a.Cols, a, b);
        Par.For(a.Length, Grain, (s, e) => { for (int i = s; i < e; i++) y.Data[i] = a.Data[i] * b.Data[i]; });
        tape.Record(y, () => Par.For(a.Length, Grain, (s, e) =>
        {
            if (a.RequiresGrad) for (int i = s; i < e; i++) a.G[i] += y.G[i] * b.Data[i];
            if (b.RequiresGrad) for (int i = s; i < e; i++) b.G[i] += y.G[i] * a.Data[i];
        }));
        return y;
    }

    /// <summary>y[r, c] = x[r, c] * s[r] for s [Rows, 1] (routing weight per row).</summary>
    public static Tensor MulRows(this Tape tape, Tensor x, Tensor s)
    {
        if (s.Length != x.Rows) throw new ArgumentException($"mul rows: {s.Length} scales for {x.Rows} rows");
        Tensor y = Tape.Output(x.Rows, x.Cols, x, s);
        int c = x.Cols;
        int rowGrain = Math.Max(1, Grain / c);
        Par.For(x.Rows, rowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int i = 0; i < c; i++) y.Data[r * c + i] = x.Data[r * c + i] * s.Data[r];
        });
        tape.Record(y, () => Par.For(x.Rows, rowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int i = 0; i < c; i++)
                {
                    float g = y.G[r * c + i];
                    if (x.RequiresGrad) x.G[r * c + i] += g * s.Data[r];
                    if (s.RequiresGrad) s.G[r] += g * x.Data[r * c + i];
                }
        }));
        return y;
    }

    /// <summary>y[r, c] = x[r, c] * p[index] (a learned scalar).</summary>
    public static Tensor MulScalar(this Tape tape, Tensor x, Tensor p, int index)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x, p);
        float a = p.Data[index];
        for (int i = 0; i < x.Length; i++) y.Data[i] = x.Data[i] * a;
        tape.Record(y, () =>
        {
            double acc = 0;
            for (int i = 0; i < x.Length; i++)
            {
                if (x.RequiresGrad) x.G[i] += y.G[i] * a;
                acc += (double)y.G[i] * x.Data[i];
            }
            if (p.RequiresGrad) p.G[index] += (float)acc;
        });
        return y;
    }

    /// <summary>y[r, c] = x[r, c] + b[offset + c] (b a vector).</summary>
    public static Tensor AddBias(this Tape tape, Tensor x, Tensor b, int offset = 0)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x, b);
        int c = x.Cols;
        for (int r = 0; r < x.Rows; r++)
            for (int i = 0; i < c; i++) y.Data[r * c + i] = x.Data[r * c + i] + b.Data[offset + i];
        tape.Record(y, () =>
        {
            for (int r = 0; r < x.Rows; r++)
                for (int i = 0; i < c; i++)
                {
                    float g = y.G[r * c + i];
                    if (x.RequiresGrad) x.G[r * c + i] += g;
                    if (b.RequiresGrad) b.G[offset + i] += g;
                }
        });
        return y;
    }

    /// <summary>Compressor gate: y[row] = x[row] + ape[(row mod seqLen) mod ratio] for ape [ratio, Cols].</summary>
    public static Tensor AddPositional(this Tape tape, Tensor x, Tensor ape, int seqLen, int ratio)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x, ape);
        int c = x.Cols;
        for (int r = 0; r < x.Rows; r++)
        {
            int p = (r % seqLen) % ratio;
            for (int i = 0; i < c; i++) y.Data[r * c + i] = x.Data[r * c + i] + ape.Data[p * c + i];
        }
        tape.Record(y, () =>
        {
            for (int r = 0; r < x.Rows; r++)
            {
                int p = (r % seqLen) % ratio;
                for (int i = 0; i < c; i++)
                {
                    float g = y.G[r * c + i];
                    if (x.RequiresGrad) x.G[r * c + i] += g;
                    if (ape.RequiresGrad) ape.G[p * c + i] += g;
                }
            }
        });
        return y;
    }

    /// <summary>Columns [start, start + count) of x.</summary>
    public static Tensor SliceCols(this Tape tape, Tensor x, int start, int count)
    {
        Tensor y = Tape.Output(x.Rows, count, x);
        int rowGrain = Math.Max(1, Grain / x.Cols);
        Par.For(x.Rows, rowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) x.Data.AsSpan(r * x.Cols + start, count).CopyTo(y.Data.AsSpan(r * count, count));
        });
        tape.Record(y, () => Par.For(x.Rows, rowGrain, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                for (int i = 0; i < count; i++) x.G[r * x.Cols + start + i] += y.G[r * count + i];
        }));
        return y;
    }

    /// <summary>
    /// Expert activation: u' = clamp(u, -L, L), g' = min(g, L) (L > 0), a = silu(g') * u'.
    /// The clamps pass no gradient where they are active.
    /// </summary>
    public static Tensor SwiGlu(this Tape tape, Tensor g, Tensor u, float limit)
    {
        Tensor y = Tape.Output(g.Rows, g.Cols, g, u);
        bool clamp = limit > 0;
        Par.For(g.Length, Grain, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float gi = g.Data[i], ui = u.Data[i];
                if (clamp) { ui = Math.Clamp(ui, -limit, limit); gi = MathF.Min(gi, limit); }
                y.Data[i] = Elementwise.Silu(gi) * ui;
            }
        });
        tape.Record(y, () => Par.For(g.Length, Grain, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float gi = g.Data[i], ui = u.Data[i];
                bool gPass = true, uPass = true;
                if (clamp)
                {
                    if (ui > limit || ui < -limit) { uPass = false; ui = Math.Clamp(ui, -limit, limit); }
                    if (gi > limit) { gPass = false; gi = limit; }
                }
                float sg = Elementwise.Sigmoid(gi), silu = gi * sg, gy = y.G[i];
                if (g.RequiresGrad && gPass) g.G[i] += gy * ui * (sg + gi * sg * (1 - sg));
                if (u.RequiresGrad && uPass) u.G[i] += gy * silu;
            }
        }));
        return y;
    }
}
