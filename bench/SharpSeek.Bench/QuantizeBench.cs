// `--quantize`: the ggml quantisers `sharpseek quantize` writes, in 256-value blocks per second on
// Gaussian rows of 4096 (V4-Flash's hidden size; the rows of its w1/w3 experts), one row per call as the
// writer calls them (the grid formats spread a row's 16 blocks over the worker team), with an all-ones
// importance row for the formats that need one. DOTNET_PROCESSOR_COUNT=1 gives the one-thread figure;
// blocks per CPU-second (process CPU time) is the figure that survives a loaded machine. The last column
// is the wall time of V4-Flash's routed experts (1.08e9 blocks) at the measured rate.
using System.Diagnostics;

using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Bench;

public static class QuantizeBench
{
    public static void Run()
    {
        const int cols = 4096, rows = 64;
        Console.WriteLine($"cores {Environment.ProcessorCount}; {rows} rows of {cols}");
        Console.WriteLine($"{"type",-8} {"ms/row",8} {"cpu ms/row",10} {"blocks/s",10} {"blocks/cpu-s",14} {"V4-Flash experts",16}");
        var rng = new Random(3);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        float[] ones = Enumerable.Repeat(1f, cols).ToArray();
        foreach (GgmlType type in new[] { GgmlType.Q2_K, GgmlType.Q4_K, GgmlType.IQ4_XS, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M })
        {
            GgmlTypeInfo info = GgmlTypes.Info(type);
            byte[] q = new byte[cols / info.BlockElements * info.BlockBytes];
            float[] importance = GgmlImportance.Required(type) ? ones : [];
            void Pass() { for (int r = 0; r < rows; r++) GgmlQuantize.Quantize(type, x.AsSpan(r * cols, cols), q, importance); }
            double ms = Program.Time(Pass, 1.0) / rows;
            // CPU time of 3 more passes: what the work costs on a loaded machine, summed over threads
            TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < 3; i++) Pass();
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / (3 * rows);
            double blocksPerSecond = cols / 256.0 / (ms * 1e-3);
            // V4-Flash routed experts: 43 layers x 256 experts x 3 matrices x 4096 x 2048 values = 2.77e11 -> 1.08e9 blocks
            double hours = 43.0 * 256 * 3 * 4096 * 2048 / 256 / blocksPerSecond / 3600;
            Console.WriteLine($"{info.Name,-8} {ms,8:F3} {cpuMs,10:F3} {blocksPerSecond,10:F0} {cols / 256.0 / (cpuMs * 1e-3),14:F0} {hours,14:F1} h");
        }
    }
}
