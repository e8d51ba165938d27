// Vectors for the grid quantisers with an importance matrix (--iq-out): seeded rows (ordinary, tiny,
// huge, sparse with outliers, rows with all-zero 16/32-value sub-blocks, rows of many equal values)
// and one seeded non-uniform importance weight per column, quantised by ggml_quantize_chunk to every
// grid format with that importance ("<type>.qw") and, for the formats ggml allows without one, with
// none ("<type>.q"). Kept apart from ggml-quants.gguf (tests/fixtures/ggml/ggml-quants-iq.gguf).
using System.Runtime.InteropServices;

using SharpSeek.Formats.Gguf;
using SharpSeek.Tensors.Ggml;

internal static class IqVectors
{
    private const int Rows = 6, PerRow = 512;

    public static void Write(Ggml ggml, string path)
    {
        var rng = new Random(20261206);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        float[] src = new float[Rows * PerRow];
        for (int j = 0; j < PerRow; j++)
        {
            src[j] = (float)Normal();
            src[PerRow + j] = (float)(Normal() * 1e-5);
            src[2 * PerRow + j] = (float)(Normal() * 3e3);
            src[3 * PerRow + j] = j % 7 == 0 ? (float)(Normal() * 50) : j % 3 == 0 ? 0f : (float)Normal() * 0.1f;
            // all-zero sub-blocks: a 32-value one first, a 16-value one inside the first block, a 32-value one in the second block
            src[4 * PerRow + j] = j < 32 || (j >= 96 && j < 112) || (j >= 320 && j < 352) ? 0f : (float)Normal();
            src[5 * PerRow + j] = (float)(Math.Round(Normal() * 2) / 2);   // many equal values
        }
        float[] importance = new float[PerRow];
        for (int j = 0; j < PerRow; j++) importance[j] = (float)Math.Exp(Normal());
        var tensors = new List<GgufTensorToWrite>
        {
            GgufTensorToWrite.FromBytes("source.f32", GgmlType.F32, [PerRow, Rows], MemoryMarshal.AsBytes(src.AsSpan()).ToArray()),
            GgufTensorToWrite.FromBytes("importance.f32", GgmlType.F32, [PerRow], MemoryMarshal.AsBytes(importance.AsSpan()).ToArray()),
        };
        foreach (GgmlType type in new[] { GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M })
        {
            GgmlTypeInfo info = GgmlTypes.Info(type);
            string name = info.Name.ToLowerInvariant();
            byte[] q = new byte[Rows * PerRow / info.BlockElements * info.BlockBytes];
            if (!ggml.QuantizeWith(type, src, q, Rows, PerRow, importance)) throw new InvalidOperationException($"ggml did not quantise {info.Name}");
            tensors.Add(GgufTensorToWrite.FromBytes($"{name}.qw", type, [PerRow, Rows], q));
            if (!ggml.RequiresImportance(type))
            {
                byte[] q0 = new byte[q.Length];
                if (!ggml.QuantizeWith(type, src, q0, Rows, PerRow, null)) throw new InvalidOperationException($"ggml did not quantise {info.Name}");
                tensors.Add(GgufTensorToWrite.FromBytes($"{name}.q", type, [PerRow, Rows], q0));
            }
            Console.WriteLine($"{info.Name,-8} {q.Length,6} bytes with importance{(ggml.RequiresImportance(type) ? "" : " and without")}");
        }
        GgufWriter.Write(path, [new("general.description", GgufValue.Of("ggml grid-quantiser vectors with an importance matrix (bench/GgmlVectors --iq-out)")),
            new("vectors.rows", GgufValue.Of((uint)Rows)), new("vectors.per_row", GgufValue.Of((uint)PerRow))], tensors);
        Console.WriteLine($"wrote {tensors.Count} tensors to {path}");
    }
}

/// <summary>
/// --time: ggml's own speed on the grid formats, as bench/SharpSeek.Bench --quantize measures ours
/// (64 Gaussian rows of 4096, one ggml_quantize_chunk per row, all-ones importance where ggml needs
/// one; median of repeated passes), to put beside ours at the same load.
/// </summary>
internal static class IqTiming
{
    public static void Run(Ggml ggml)
    {
        const int cols = 4096, rows = 64;
        var rng = new Random(3);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        float[] ones = Enumerable.Repeat(1f, cols).ToArray();
        Console.WriteLine($"ggml (one thread), {rows} rows of {cols}");
        foreach (GgmlType type in new[] { GgmlType.Q2_K, GgmlType.Q4_K, GgmlType.IQ4_XS, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M })
        {
            GgmlTypeInfo info = GgmlTypes.Info(type);
            byte[] q = new byte[cols / info.BlockElements * info.BlockBytes];
            float[] row = new float[cols];
            float[]? importance = ggml.RequiresImportance(type) ? ones : null;
            var samples = new List<double>();
            var total = System.Diagnostics.Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < 1.0 || samples.Count < 3)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int r = 0; r < rows; r++)
                {
                    Array.Copy(x, r * cols, row, 0, cols);
                    ggml.QuantizeWith(type, row, q, 1, cols, importance);
                }
                samples.Add(sw.Elapsed.TotalMilliseconds / rows);
            }
            samples.Sort();
            double ms = samples[samples.Count / 2];
            TimeSpan cpu0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            for (int pass = 0; pass < 3; pass++)
                for (int r = 0; r < rows; r++)
                {
                    Array.Copy(x, r * cols, row, 0, cols);
                    ggml.QuantizeWith(type, row, q, 1, cols, importance);
                }
            double cpuMs = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / (3 * rows);
            Console.WriteLine($"{info.Name,-8} {ms,8:F3} ms/row {cpuMs,8:F3} cpu ms/row {cols / 256.0 / (ms * 1e-3),10:F0} blocks/s {cols / 256.0 / (cpuMs * 1e-3),10:F0} blocks/cpu-s");
        }
    }
}
