// AdamW with decoupled weight decay (Loshchilov & Hutter) over fp32 masters, global-norm gradient
// clipping, and the warm-up + cosine learning-rate schedule. Moments are checkpointed.
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Optim;

public sealed record AdamWOptions(float Lr = 3e-3f, float Beta1 = 0.9f, float Beta2 = 0.95f, float Eps = 1e-8f, float WeightDecay = 0.1f,
    float ClipNorm = 1f, int WarmupSteps = 100, float MinLrRatio = 0.1f);

public sealed class AdamW
{
    private readonly IReadOnlyList<Parameter> _params;
    public AdamWOptions Options { get; }
    public float[][] M { get; }
    public float[][] V { get; }
    public long Step { get; set; }

    public AdamW(IReadOnlyList<Parameter> parameters, AdamWOptions options)
    {
        _params = parameters; Options = options;
        M = parameters.Select(p => new float[p.Master.Length]).ToArray();
        V = parameters.Select(p => new float[p.Master.Length]).ToArray();
    }

    /// <summary>lr at step (0-based) of a run of totalSteps: linear warm-up, then cosine down to MinLrRatio.</summary>
    public static float Schedule(AdamWOptions o, long step, long totalSteps)
    {
        if (step < o.WarmupSteps) return o.Lr * (step + 1) / o.WarmupSteps;
        double t = Math.Min(1.0, (double)(step - o.WarmupSteps) / Math.Max(1, totalSteps - o.WarmupSteps));
        return (float)(o.Lr * (o.MinLrRatio + (1 - o.MinLrRatio) * 0.5 * (1 + Math.Cos(Math.PI * t))));
    }

    /// <summary>Global L2 norm of all gradients (summed in parameter order, in double).</summary>
    public double GradNorm()
    {
        double s = 0;
        foreach (Parameter p in _params) foreach (float g in p.Value.G) s += (double)g * g;
        return Math.Sqrt(s);
    }

    /// <summary>Clips to ClipNorm, applies one update at learning rate lr; returns the pre-clip norm.</summary>
    public double Update(float lr)
    {
        double norm = GradNorm();
        float clip = Options.ClipNorm > 0 && norm > Options.ClipNorm ? (float)(Options.ClipNorm / norm) : 1f;
        Step++;
        float b1 = Options.Beta1, b2 = Options.Beta2;
        float c1 = 1f - MathF.Pow(b1, Step), c2 = 1f - MathF.Pow(b2, Step);
        for (int k = 0; k < _params.Count; k++)
        {
            Parameter p = _params[k];
            float[] w = p.Master, g = p.Value.G, m = M[k], v = V[k];
            float decay = p.Decay ? lr * Options.WeightDecay : 0f;
            float eps = Options.Eps;
            // element by element: any split of the range gives the same bits
            Par.For(w.Length, 16384, (s, e) =>
            {
                for (int i = s; i < e; i++)
                {
                    float gi = g[i] * clip;
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    w[i] -= decay * w[i] + lr * (m[i] / c1) / (MathF.Sqrt(v[i] / c2) + eps);
                }
            });
        }
        return norm;
    }
}
