// `--index`: the indexer's scoring of one query against N compressed entries (16 heads x 128, V4's
// index geometry) one key at a time (IndexScore.Score) and four keys at a time (ScoreMany), keys
// already decoded; median ms per query at 1K, 4K and 16K entries (contexts of 4K, 16K and 64K tokens).
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static class IndexBench
{
    private const int Heads = 16, Dim = 128;

    public static void Run()
    {
        var rng = new Random(9);
        float[] q = Random(Heads * Dim, rng), w = Random(Heads, rng);
        Console.WriteLine($"threads {Environment.ProcessorCount}: index scoring, {Heads} heads x {Dim}");
        foreach (int n in new[] { 1024, 4096, 16384 })
        {
            float[] keys = Random(n * Dim, rng), scores = new float[n];
            double one = Program.Time(() => { for (int j = 0; j < n; j++) scores[j] = IndexScore.Score<float>(q, w, keys.AsSpan(j * Dim, Dim)); }, 1);
            double many = Program.Time(() => IndexScore.ScoreMany<float>(q, w, keys, Dim, scores), 1);
            Console.WriteLine($"{n,6} entries: per key {one,8:F3} ms, four keys at a time {many,8:F3} ms ({one / many:F2}x)");
        }
    }

    private static float[] Random(int n, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
