// `--index`: the indexer's scoring of one query against N compressed entries (16 heads x 128, V4's
// index geometry) in the scalar twin (IndexScoreBlockReference) and in the block kernel (IndexScoreBlock,
// as decode runs it; also with the 8 lanes of machines without AVX-512), then 64 queries at once in the block kernel (as prefill runs it; per query); keys
// already decoded, one thread; median thread-CPU ms per query at 1K, 4K and 16K
// entries (contexts of 4K, 16K and 64K tokens), and the top-512 of the scores.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Bench;

public static class IndexBench
{
    private const int Heads = 16, Dim = 128;

    public static void Run()
    {
        var rng = new Random(9);
        float[] q = Random(Heads * Dim, rng), w = Random(Heads, rng);
        Console.WriteLine($"threads {Environment.ProcessorCount}: index scoring, {Heads} heads x {Dim}");
        float[] q64 = Random(64 * Heads * Dim, rng), w64 = Random(64 * Heads, rng);
        foreach (int n in new[] { 1024, 4096, 16384 })
        {
            float[] keys = Random(n * Dim, rng), scores = new float[n], scores64 = new float[64 * n];
            int[] all64 = Enumerable.Repeat(n, 64).ToArray();
            double twin = Cpu(() => IndexScoreBlockReference.Score<float>(q, w, Heads, keys, Dim, [n], scores, n), 1);
            double block = Cpu(() => IndexScoreBlock.Score<float>(q, w, Heads, keys, Dim, [n], scores, n), 1);
            double block8 = Cpu(() => IndexScoreBlock.ScoreFloat(q, w, Heads, keys, Dim, [n], scores, n, lanes: 8), 1);
            double block64 = Cpu(() => IndexScoreBlock.Score<float>(q64, w64, Heads, keys, Dim, all64, scores64, n), 1) / 64;
            int[] chosen = new int[512];
            double topk = Cpu(() => TopKSelect.Select<float>(scores, Math.Min(512, n), chosen), 1);
            Console.WriteLine($"{n,6} entries: top-{Math.Min(512, n)} (TopKSelect) {topk,8:F3} ms");
            Console.WriteLine($"{n,6} entries: scalar twin {twin,8:F3} ms, block {block,8:F3} ms ({twin / block:F1}x), 8 lanes (no AVX-512) {block8,8:F3} ms, 64-query block {block64,8:F3} ms per query ({twin / block64:F1}x)");
        }
    }

    /// <summary>Median thread-CPU milliseconds per call (KernelBench.CpuTime).</summary>
    private static double Cpu(Action a, double seconds) => KernelBench.CpuTime(a, seconds);

    private static float[] Random(int n, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
