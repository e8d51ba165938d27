// Finite-difference gradient checking: loss = sum(out * R) for a fixed random R; every input
// element's analytic gradient is compared with the central difference (f(x+h) - f(x-h)) / 2h
// evaluated in double from float forwards. Tolerance: |analytic - numeric| <= atol + rtol |numeric|
// with h = 1e-2, atol = 2e-3, rtol = 2e-2 unless a test says otherwise (float32 forward noise is
// about 1e-7 * |loss| / h).
using SharpSeek.Model.Weights;
using SharpSeek.Training.Autograd;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Tests;

internal static class GradCheck
{
    public static Tensor Random(int rows, int cols, ulong seed, float scale = 1f, float offset = 0f)
    {
        var rng = new SplitMix64(seed);
        var t = Tensor.Zeros(rows, cols, requiresGrad: true);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)((rng.NextDouble() * 2 - 1) * scale) + offset;
        return t;
    }

    public static void Check(Func<Tape, Tensor> f, Tensor[] inputs, double h = 1e-2, double atol = 2e-3, double rtol = 2e-2, string name = "")
    {
        var tape = new Tape();
        Tensor y = f(tape);
        var rng = new SplitMix64(99);
        float[] r = new float[y.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1);
        Tensor loss = Project(tape, y, r);
        foreach (Tensor x in inputs) Array.Clear(x.G);
        tape.Backward(loss);
        for (int k = 0; k < inputs.Length; k++)
        {
            Tensor x = inputs[k];
            float[] analytic = (float[])x.G.Clone();
            for (int i = 0; i < x.Length; i++)
            {
                float orig = x.Data[i];
                x.Data[i] = (float)(orig + h); double up = Eval(f, r);
                x.Data[i] = (float)(orig - h); double down = Eval(f, r);
                x.Data[i] = orig;
                double numeric = (up - down) / (2 * h);
                double diff = Math.Abs(analytic[i] - numeric);
                Assert.True(diff <= atol + rtol * Math.Abs(numeric), $"{name} input {k} element {i}: analytic {analytic[i]} numeric {numeric}");
            }
        }
    }

    private static double Eval(Func<Tape, Tensor> f, float[] r)
    {
        Tensor y = f(new Tape());
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y.Data[i] * r[i];
        return s;
    }

    private static Tensor Project(Tape tape, Tensor y, float[] r)
    {
        Tensor loss = Tape.Output(1, 1, y);
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y.Data[i] * r[i];
        loss.Data[0] = (float)s;
        tape.Record(loss, () => { for (int i = 0; i < y.Length; i++) y.G[i] += r[i] * loss.G[0]; });
        return loss;
    }
}
