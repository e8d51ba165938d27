// `--int8`: products of the shapes of bench/configs/v4-medium's experts ([512, 1024] w1/w3, [1024, 512] w2)
// with exact float activations against int8 activations (Kernels/Int8), official FP4, GGUF MXFP4 and Q8_0,
// over token counts from a decode step to a prefill chunk's share of one expert.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Int8;

namespace SharpSeek.Bench;

public static unsafe class Int8Bench
{
    public static void Run()
    {
        Console.WriteLine($"cores {Environment.ProcessorCount}, Avx512BW {System.Runtime.Intrinsics.X86.Avx512BW.IsSupported}");
        Console.WriteLine($"{"format",-8} {"shape",-10} {"T",4} {"exact ms",9} {"int8 ms",8} {"speedup",8} {"int8 GMAC/s",12}");
        foreach (string kind in new[] { "FP4", "MXFP4", "Q8_0" })
        foreach (var (rows, cols) in new[] { (512, 1024), (1024, 512) })
        foreach (int tokens in new[] { 1, 4, 8, 16, 64, 512 })
        {
            WeightMatrix w = kind switch { "MXFP4" => Ggml(GgmlType.MXFP4, rows, cols, 1), "Q8_0" => Ggml(GgmlType.Q8_0, rows, cols, 1), _ => BenchWeights.Make(WeightFormat.Fp4Block32, rows, cols, 1) };
            var rng = new Random(2);
            var x = new float[tokens * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            var y = new float[tokens * rows];
            WeightMatrix exact = w.WithActivations(ActivationPath.Exact), int8 = w.WithActivations(ActivationPath.Int8);
            double e = Program.Time(() => MatMul.ForwardF32(x, exact, y, tokens), 0.4);
            double q = Program.Time(() => Int8Product(x, int8, y, tokens), 0.4);   // directly, below MinTokens too
            Console.WriteLine($"{kind,-8} {rows + "x" + cols,-10} {tokens,4} {e,9:F3} {q,8:F3} {e / q,7:F2}x {(double)rows * cols * tokens / (q * 1e-3) / 1e9,12:F1}");
        }
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
