// Entry point. `--quick` runs an in-process Stopwatch sweep (median of repeated calls, GB/s of
// weight bytes streamed); `--head` the vocabulary head against read bandwidth (HeadBench); `--index`
// the indexer scoring (IndexBench); `--quantize` the ggml quantisers (QuantizeBench); `--q8`/`--mxfp4`/`--decode`
// one-token GGUF products (DecodeBench); `--kernels` the row kernels alone in CPU time (KernelBench); `--ggml [TYPE...]`
// ggml block decoding, twin against vectorised (GgmlBench); `--hc` one mHC site, before/after HyperMix (HcBench); anything else goes to BenchmarkDotNet (e.g. `--filter * --job short`).
using System.Diagnostics;
using BenchmarkDotNet.Running;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Bench;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--quick") { Quick(args.Length > 1 && args[1] == "--no-ref"); return; }
        if (args.Length > 0 && args[0] == "--head") { HeadBench.Run(); return; }
        if (args.Length > 0 && args[0] == "--index") { IndexBench.Run(); return; }
        if (args.Length > 0 && args[0] == "--attention") { AttentionBench.Run(); return; }
        if (args.Length > 0 && args[0] == "--int8") { Int8Bench.Run(args[1..]); return; }
        if (args.Length > 0 && args[0] == "--quantize") { QuantizeBench.Run(); return; }
        if (args.Length > 0 && args[0] == "--kernels") { KernelBench.Run(); return; }
        if (args.Length > 0 && args[0] == "--team") { TeamBench.Run(); return; }
        if (args.Length > 0 && args[0] == "--hc") { HcBench.Run(); return; }
        if (args.Length > 0 && args[0] is "--q8" or "--mxfp4" or "--decode") { DecodeBench.Run(args[0] != "--mxfp4", args[0] != "--q8"); return; }
        if (args.Length > 0 && args[0] == "--ggml") { GgmlBench.Run(args[1..]); return; }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }

    private static void Quick(bool noRef)
    {
        Console.WriteLine($"cores {Environment.ProcessorCount}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        Console.WriteLine($"{"format",-12} {"shape",-10} {"T",3} {"reference ms",13} {"baseline ms",12} {"fast ms",9} {"speedup",8} {"fast GB/s",10}");
        foreach (var format in new[] { WeightFormat.F32, WeightFormat.BF16, WeightFormat.Fp8Block128, WeightFormat.Fp4Block32 })
        foreach (var (rows, cols) in new[] { (4096, 1024), (1024, 4096) })
        foreach (int tokens in new[] { 1, 64 })
        {
            var w = BenchWeights.Make(format, rows, cols, 1);
            var rng = new Random(2);
            var x = new float[tokens * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            var y = new float[tokens * rows];
            double r = noRef || tokens > 1 ? double.NaN : Time(() => MatMulReference.Forward<float>(x, w, y, tokens), 0.3);
            double b = Time(() => BaselineMatMul.ForwardF32(x, w, y, tokens), 0.5);
            double f = Time(() => MatMul.ForwardF32(x, w, y, tokens), 0.5);
            double gbs = w.DataBytes / (f * 1e-3) / 1e9;
            Console.WriteLine($"{format,-12} {rows + "x" + cols,-10} {tokens,3} {r,13:F3} {b,12:F3} {f,9:F3} {b / f,7:F1}x {gbs,10:F1}");
        }
    }

    /// <summary>Median milliseconds per call over about <paramref name="seconds"/> of calls.</summary>
    public static double Time(Action a, double seconds)
    {
        a(); a();
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || samples.Count < 5)
        {
            var sw = Stopwatch.StartNew();
            a();
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
