// `--hc`: one mHC site of v4-medium's shape (hc 4, dim 1024, 20 Sinkhorn iterations, fn [24, 4096] F32) at
// 1, 8 and 512 tokens: the steps as HyperConnections ran them before HyperMix (one MatMul, then per token a
// dot, scalar sigmoids and ElementwiseReference.Sinkhorn, AddScaled collapse, a scalar post loop, and the copy
// of h into a residual) against HyperMix.Pre and HyperMix.Expand. Microseconds per token per site in this
// thread's CPU time (run with DOTNET_PROCESSOR_COUNT=1 so the products' regions stay on this thread) and wall.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static class HcBench
{
    private const int Hc = 4, Dim = 1024, Iters = 20, MixW = (2 + Hc) * Hc, K = Hc * Dim;
    private const float Eps = 1e-6f;

    public static void Run()
    {
        Console.WriteLine($"cores {Environment.ProcessorCount}; us per token per site, thread CPU / wall (median)");
        var rng = new Random(11);
        WeightMatrix fn = BenchWeights.Make(WeightFormat.F32, MixW, K, 3);
        float[] scale = [0.5f, 0.7f, 0.9f];
        float[] @base = Enumerable.Range(0, MixW).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var site = new HyperSite<float>(Hc, Dim, Iters, Eps, Eps, scale, @base);
        Console.WriteLine($"{"T",4} {"step",-36} {"cpu us/tok",11} {"wall us/tok",12}");
        // A first, unprinted pass runs every step long enough for the JIT's tier-1 code.
        int pass = 0;
        foreach (int tokens in new[] { 1, 8, 1, 8, 512 })
        {
            bool warmUp = pass++ < 2;
            float[] h = Enumerable.Range(0, tokens * K).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            float[] f = Enumerable.Range(0, tokens * Dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            float[] residual = new float[tokens * K], mix = new float[tokens * MixW], x = new float[tokens * Dim];
            float[] pre = new float[tokens * Hc], post = new float[tokens * Hc], comb = new float[tokens * Hc * Hc];
            float[] scratch = new float[HyperMix.ScratchSize(tokens, Hc)];
            float[] hw = (float[])h.Clone();
            double seconds = tokens == 512 ? 1.5 : 0.5;
            int reps = 512 / tokens;   // small calls repeated so the clocks' overhead does not count
            void Row(string name, Action a1)
            {
                Action a = () => { for (int i = 0; i < reps; i++) a1(); };
                double cpu = KernelBench.CpuTime(a, seconds), wall = Program.Time(a, seconds);
                if (!warmUp) Console.WriteLine($"{tokens,4} {name,-36} {cpu * 1000 / (tokens * reps),11:F2} {wall * 1000 / (tokens * reps),12:F2}");
            }
            Row("main: product (MatMul)", () => MatMul.ForwardF32(h, fn, mix, tokens));
            Row("main: rms + split + Sinkhorn", () => MainSplit(h, mix, tokens, scale, @base, pre, post, comb));
            Row("main: collapse", () => MainCollapse(h, pre, tokens, x));
            Row("main: copy h to residual", () => h.AsSpan().CopyTo(residual));
            Row("main: post", () => MainPost(f, residual, post, comb, tokens, hw));
            Row("HyperMix split (lanes, tiles of 8)", () => SplitTiles(mix, scratch, tokens, site, pre, post, comb));
            Row("HyperMix.Pre (all of the above)", () => HyperMix.Pre<float>(h, tokens, fn, site, scratch, pre, post, comb, x));
            Row("HyperMix.Expand (in place)", () => HyperMix.Expand<float>(f, post, comb, tokens, Hc, Dim, hw));
        }
    }

    private static unsafe void SplitTiles(float[] mix, float[] ss, int tokens, HyperSite<float> site, float[] pre, float[] post, float[] comb)
    {
        for (int t = 0; t < tokens; t++) ss[t] = 4096f;
        fixed (float* m = mix, s = ss, p = pre, q = post, c = comb, sc = site.Scale, b = site.Base)
            for (int t0 = 0; t0 < tokens; t0 += HyperMix.Tile)
                HyperMix.SplitLanes(m + t0 * MixW, s + t0, Math.Min(HyperMix.Tile, tokens - t0), site, sc, b, p + t0 * Hc, q + t0 * Hc, c + t0 * Hc * Hc);
    }

    private static void MainSplit(float[] h, float[] mix, int tokens, float[] scale, float[] @base, float[] pre, float[] post, float[] comb)
    {
        Span<float> m = stackalloc float[MixW];
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> ht = h.AsSpan(t * K, K);
            float r = 1f / MathF.Sqrt(Elementwise.Dot(ht, ht) / K + Eps);
            mix.AsSpan(t * MixW, MixW).CopyTo(m);   // main scaled the mix in place; the copy keeps the input fixed
            for (int i = 0; i < MixW; i++) m[i] *= r;
            for (int i = 0; i < Hc; i++)
            {
                pre[t * Hc + i] = Elementwise.Sigmoid(m[i] * scale[0] + @base[i]) + Eps;
                post[t * Hc + i] = 2f * Elementwise.Sigmoid(m[Hc + i] * scale[1] + @base[Hc + i]);
            }
            Span<float> c = comb.AsSpan(t * Hc * Hc, Hc * Hc);
            for (int i = 0; i < Hc * Hc; i++) c[i] = m[2 * Hc + i] * scale[2] + @base[2 * Hc + i];
            Elementwise.Sinkhorn(c, Hc, Iters, Eps);
        }
    }

    private static void MainCollapse(float[] h, float[] pre, int tokens, float[] x)
    {
        for (int t = 0; t < tokens; t++)
        {
            Span<float> xt = x.AsSpan(t * Dim, Dim);
            xt.Clear();
            for (int i = 0; i < Hc; i++) Elementwise.AddScaled(xt, h.AsSpan(t * K + i * Dim, Dim), pre[t * Hc + i]);
        }
    }

    private static void MainPost(float[] f, float[] residual, float[] post, float[] comb, int tokens, float[] dst)
    {
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> ft = f.AsSpan(t * Dim, Dim), ht = residual.AsSpan(t * K, K);
            for (int k = 0; k < Hc; k++)
            {
                Span<float> o = dst.AsSpan((t * Hc + k) * Dim, Dim);
                float pk = post[t * Hc + k];
                for (int i = 0; i < Dim; i++) o[i] = pk * ft[i];
                for (int j = 0; j < Hc; j++) Elementwise.AddScaled(o, ht.Slice(j * Dim, Dim), comb[t * Hc * Hc + j * Hc + k]);
            }
        }
    }
}
