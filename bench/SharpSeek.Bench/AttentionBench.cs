// `--attention`: the attention core of v4-medium's geometry (16 heads x 512, one shared KV row per key,
// RoPE on the last 64) step by step, timed in this thread's CPU time (median of repeated calls; run with
// DOTNET_PROCESSOR_COUNT=1 for one thread, whose CPU time is then the whole cost). Shapes: a prefill block
// of 16 tokens over a window-only layer's keys (16 + 127 window rows) and over an indexed layer's at a
// 512-token prompt (plus 128 picked entries), and one decode token over the window plus top-512 entries.
// Steps: the whole SinkAttentionBlock.Attend, its score product, sink softmax and value product alone,
// the inverse RoPE of the outputs (per head, and once per token for all heads) and the FP8 decode of
// the gathered rows.
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static unsafe class AttentionBench
{
    private const int Heads = 16, Dim = 512, RopeDim = 64, Nope = Dim - RopeDim;

    public static void Run()
    {
        Console.WriteLine($"threads {Environment.ProcessorCount} (team {WorkerTeam.Shared.Size}): attention core, {Heads} heads x {Dim}, CPU ms of this thread per call (median)");
        var rope = new RopeTable<float>(new RopeParameters(RopeDim, 160000, true, 16, 4096, 32, 1));
        foreach (var (name, tokens, entries, picks) in new[] { ("prefill 16, window layer", 16, 0, 0), ("prefill 16, indexed layer", 16, 128, 128), ("prefill 32, indexed layer", 32, 128, 128),
                     ("prefill 64, indexed layer", 64, 128, 128), ("prefill 4, indexed, long context", 4, 777 - 131, 512), ("decode, window + top-512", 1, 512, 512), ("decode, window + 128", 1, 128, 128) })
        {
            // keys [127 window rows before the block, the block's rows, compressed entries]; token b sees rows [b, b + 127]
            // and `picks` of the entries (all of them, or a random subset: the union of a long-context block's top-k sets)
            int keys = 127 + tokens + entries;
            var rng = new Random(5);
            float[] q = Random(tokens * Heads * Dim, rng), k = Random(keys * Dim, rng), sinks = Random(Heads, rng), o = new float[tokens * Heads * Dim];
            var seen = new byte[tokens * keys];
            for (int t = 0; t < tokens; t++)
            {
                for (int i = 0; i < 127 + tokens; i++) seen[t * keys + i] = (byte)(i >= t && i <= t + 127 ? 1 : 0);
                foreach (int e in Enumerable.Range(0, entries).OrderBy(_ => rng.Next()).Take(picks)) seen[t * keys + 127 + tokens + e] = 1;
            }
            float[] scratch = new float[SinkAttentionBlock.ScratchSize(tokens, Heads, keys, Dim)];
            double flops = 2.0 * 2 * tokens * Heads * (128 + picks) * Dim;   // the seen keys only
            double all = KernelBench.CpuTime(() => SinkAttentionBlock.Attend<float>(q, k, Dim, seen, 0.04f, sinks, scratch, o), 0.5);
            Console.WriteLine($"{name,-30} {tokens,2} tokens x {keys,3} keys: Attend {all,7:F3} ms ({flops / (all * 1e-3) / 1e9,5:F1} GFLOP/s of seen keys), {all / tokens * 1000,7:F1} us/token");
            foreach (var (step, ms) in SinkAttentionBlock.StepTimes(q, k, Dim, seen, 0.04f, sinks, scratch, o, a => KernelBench.CpuTime(a, 0.3)))
                Console.WriteLine($"    {step,-26} {ms,7:F3} ms  {ms / all * 100,5:F1}%");
            double perHead = KernelBench.CpuTime(() =>
            {
                for (int t = 0; t < tokens; t++)
                    for (int h = 0; h < Heads; h++) rope.Apply(o.AsSpan((t * Heads + h) * Dim + Nope, RopeDim), 400 + t, inverse: true);
            }, 0.3);
            float[] cos = new float[RopeDim / 2], sin = new float[RopeDim / 2];
            double shared = KernelBench.CpuTime(() =>
            {
                for (int t = 0; t < tokens; t++)
                {
                    rope.Angles(400 + t, cos, sin);
                    rope.ApplyHeads(o.AsSpan(t * Heads * Dim, Heads * Dim), Dim, Nope, cos, sin, inverse: true);
                }
            }, 0.3);
            Console.WriteLine($"    inverse RoPE per head      {perHead,7:F3} ms; once per token for all heads {shared,7:F3} ms");
            var codes = new byte[keys * Nope];
            rng.NextBytes(codes);
            for (int i = 0; i < codes.Length; i++) codes[i] &= 0x7E;
            double dec = KernelBench.CpuTime(() => { for (int r = 0; r < keys; r++) E4M3Rows.Scaled(codes.AsSpan(r * Nope, Nope), 0.5f, k.AsSpan(r * Dim, Nope)); }, 0.3);
            Console.WriteLine($"    FP8 decode of the keys     {dec,7:F3} ms");
        }
    }

    private static float[] Random(int n, Random rng)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
