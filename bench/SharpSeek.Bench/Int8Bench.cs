// `--int8 [--tokens 16,64,512] [--exact] [--formats FP4,MXFP4,Q8_0]`: the int8-activation products
// (Kernels/Int8) of bench/configs/v4-medium's shapes: the experts' w1/w3 [512, 1024] and w2 [1024, 512],
// the attention's wq_b [8192, 512], one wo_a group [512, 2048] and wo_b [1024, 2048]; official FP4, GGUF
// MXFP4 and Q8_0. Per product: the median wall time, the median process CPU time (all threads, so
// DOTNET_PROCESSOR_COUNT=1 gives the kernel's own cost, which moves less with load than the wall clock)
// and the multiply-adds per second of each. `--exact` also times the float path for the ratio.
using System.Diagnostics;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Int8;

namespace SharpSeek.Bench;

public static unsafe class Int8Bench
{
    private static readonly (string Name, int Rows, int Cols)[] s_shapes =
        [("w1/w3", 512, 1024), ("w2", 1024, 512), ("wq_b", 8192, 512), ("wo_a/4", 512, 2048), ("wo_b", 1024, 2048)];

    public static void Run(string[] args)
    {
        int[] tokenCounts = [16, 64, 512];
        string[] formats = ["FP4", "MXFP4", "Q8_0"];
        bool exact = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--tokens" && i + 1 < args.Length) tokenCounts = args[++i].Split(',').Select(int.Parse).ToArray();
            else if (args[i] == "--formats" && i + 1 < args.Length) formats = args[++i].Split(',');
            else if (args[i] == "--exact") exact = true;
            else if (args[i] == "--parts") { Parts(); return; }
            else throw new ArgumentException($"--int8: unknown argument '{args[i]}' (--tokens LIST, --formats LIST, --exact, --parts)");
        }
        Console.WriteLine($"cores {Environment.ProcessorCount}, Avx512BW {System.Runtime.Intrinsics.X86.Avx512BW.IsSupported}, Avx2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}");
        Console.WriteLine($"{"format",-6} {"shape",-7} {"rows x cols",-10} {"T",5} {"int8 ms",9} {"cpu ms",9} {"GMAC/s",8} {"GMAC/cpu-s",11}{(exact ? $" {"exact ms",9} {"speedup",8}" : "")}");
        foreach (string kind in formats)
        foreach (var (name, rows, cols) in s_shapes)
        {
            WeightMatrix w = kind switch
            {
                "MXFP4" => Ggml(GgmlType.MXFP4, rows, cols, 1),
                "Q8_0" => Ggml(GgmlType.Q8_0, rows, cols, 1),
                "FP4" => BenchWeights.Make(WeightFormat.Fp4Block32, rows, cols, 1),
                _ => throw new ArgumentException($"--int8: unknown format '{kind}' (FP4, MXFP4, Q8_0)"),
            };
            WeightMatrix int8 = w.WithActivations(ActivationPath.Int8);
            foreach (int tokens in tokenCounts)
            {
                var rng = new Random(2);
                var x = new float[tokens * cols];
                for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
                var y = new float[tokens * rows];
                double seconds = Math.Clamp((double)rows * cols * tokens / 2e9, 0.3, 2);
                var (wall, cpu) = Time(() => Int8Product(x, int8, y, tokens), seconds);   // directly, below MinTokens too
                double macs = (double)rows * cols * tokens;
                string line = $"{kind,-6} {name,-7} {rows + "x" + cols,-10} {tokens,5} {wall,9:F3} {cpu,9:F3} {macs / (wall * 1e-3) / 1e9,8:F1} {macs / (cpu * 1e-3) / 1e9,11:F1}";
                if (exact)
                {
                    double e = Time(() => MatMul.ForwardF32(x, w.WithActivations(ActivationPath.Exact), y, tokens), seconds).Wall;
                    line += $" {e,9:F3} {e / wall,7:F2}x";
                }
                Console.WriteLine(line);
            }
        }
    }

    /// <summary>`--parts`: this thread's CPU time to pack every tile of a [512, 1024] matrix, and to quantise 64 tokens of 1024.</summary>
    private static void Parts()
    {
        foreach (string kind in new[] { "FP4", "MXFP4", "Q8_0" })
        {
            WeightMatrix w = kind switch { "MXFP4" => Ggml(GgmlType.MXFP4, 512, 1024, 1), "Q8_0" => Ggml(GgmlType.Q8_0, 512, 1024, 1), _ => BenchWeights.Make(WeightFormat.Fp4Block32, 512, 1024, 1) };
            var rowBuf = GC.AllocateArray<byte>(Int8Tile.CodeBytes(1024), pinned: true);
            var tile = GC.AllocateArray<byte>(Int8Tile.CodeBytes(1024) + 4 * Int8Tile.ScaleFloats(1024), pinned: true);
            fixed (byte* rb = rowBuf, tb = tile)
            {
                byte* r = rb, t = tb;
                double ms = KernelBench.CpuTime(() => { for (int o = 0; o < 512; o += Int8Tile.Rows) Int8Tile.Pack(w, o, r, (uint*)t, (float*)(t + Int8Tile.CodeBytes(1024))); }, 0.5);
                Console.WriteLine($"{kind,-6} pack 512x1024: {ms * 1000,8:F1} us ({ms * 1e6 / (512.0 * 1024):F2} ns per weight)");
            }
        }
        var x = GC.AllocateArray<float>(64 * 1024, pinned: true);
        var rng = new Random(2);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var q = GC.AllocateArray<sbyte>(64 * 1024, pinned: true);
        var sx = GC.AllocateArray<float>(64 * 32, pinned: true);
        var sums = GC.AllocateArray<int>(64 * 32, pinned: true);
        fixed (float* px = x, ps = sx) fixed (sbyte* pq = q) fixed (int* pm = sums)
        {
            float* a = px, b = ps; sbyte* c = pq; int* d = pm;
            double ms = KernelBench.CpuTime(() => ActivationInt8.Quantize(a, 64, 1024, c, b, d), 0.5);
            Console.WriteLine($"quantise 64x1024: {ms * 1000,8:F1} us ({ms * 1e6 / (64.0 * 1024):F2} ns per value)");
        }
    }

    /// <summary>Median wall and median process CPU milliseconds per call over about <paramref name="seconds"/> of calls.</summary>
    private static (double Wall, double Cpu) Time(Action a, double seconds)
    {
        a(); a();
        var walls = new List<double>();
        var cpus = new List<double>();
        var process = Process.GetCurrentProcess();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || walls.Count < 5)
        {
            process.Refresh();
            TimeSpan c0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            a();
            walls.Add(sw.Elapsed.TotalMilliseconds);
            process.Refresh();
            cpus.Add((process.TotalProcessorTime - c0).TotalMilliseconds);
        }
        walls.Sort();
        cpus.Sort();
        return (walls[walls.Count / 2], cpus[cpus.Count / 2]);
    }

    private static void Int8Product(float[] x, WeightMatrix w, float[] y, int tokens)
    {
        fixed (float* px = x, py = y) MatMulInt8.Forward(px, w, py, tokens);
    }

    /// <summary>Random MXFP4 (E8M0 scales near 1) or Q8_0 (f16 scale 0.01) blocks.</summary>
    private static WeightMatrix Ggml(GgmlType type, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        int bytes = type == GgmlType.Q8_0 ? 34 : 17;
        var g = GC.AllocateArray<byte>(rows * cols / 32 * bytes, pinned: true);
        rng.NextBytes(g);
        for (int b = 0; b < g.Length / bytes; b++)
            if (type == GgmlType.Q8_0) { g[b * 34] = 0x1F; g[b * 34 + 1] = 0x21; }   // f16 0.0101
            else g[b * 17] = (byte)(120 + rng.Next(10));
        fixed (byte* p = g) return new WeightMatrix($"w.{type}", GgmlTypes.Info(type), rows, cols, p, g);
    }
}
