// `--q8` / `--mxfp4`: one-token products (a decode step) of a GGUF model's shapes against this machine's
// read bandwidth measured in the same process (HeadBench.ReadBandwidth): Q8_0 at the head's [129280, 1024]
// and the attention projections' shapes of v4-medium, MXFP4 at the routed experts' [512, 1024] and
// [1024, 512], alone and as a decode step's batch of four experts (MatMulBatch: w1 and w3 of four
// experts in one region, then their w2). Exact and int8 activations (WeightMatrix.Activations) for each.
// Threads = Environment.ProcessorCount (DOTNET_PROCESSOR_COUNT=1 for one).
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static unsafe class DecodeBench
{
    public static void Run(bool q8, bool mxfp4)
    {
        int cores = Environment.ProcessorCount;
        double bw = HeadBench.ReadBandwidth(cores);
        Console.WriteLine($"threads {cores}: read bandwidth {bw:F1} GB/s (sum over 512 MB, median)");
        if (q8)
            foreach (var (name, rows, cols) in new[] { ("head", 129280, 1024), ("wq_b", 8192, 512), ("wo_a", 512, 2048), ("wo_b", 1024, 2048), ("wq_a", 512, 1024) })
                One($"Q8_0 {name}", GgmlType.Q8_0, rows, cols, bw);
        if (mxfp4)
        {
            One("MXFP4 w1", GgmlType.MXFP4, 512, 1024, bw);
            One("MXFP4 w2", GgmlType.MXFP4, 1024, 512, bw);
            Experts(bw);
        }
    }

    private static void One(string name, GgmlType type, int rows, int cols, double bw)
    {
        WeightMatrix w = Make(type, rows, cols, 1);
        var x = Input(cols);
        var y = new float[rows];
        foreach (ActivationPath a in new[] { ActivationPath.Exact, ActivationPath.Int8 })
        {
            WeightMatrix wa = w.WithActivations(a);
            double ms = Program.Time(() => MatMul.ForwardF32(x, wa, y, 1), rows > 100000 ? 3 : 1);
            Report($"{name} {rows}x{cols} {a}", w.DataBytes, ms, bw);
        }
    }

    /// <summary>Four experts' w1 and w3 in one region, then their w2: a decode step's routed experts.</summary>
    private static void Experts(double bw)
    {
        const int K = 4, Dim = 1024, Inter = 512;
        var w1 = new WeightMatrix[K]; var w3 = new WeightMatrix[K]; var w2 = new WeightMatrix[K];
        for (int i = 0; i < K; i++)
        {
            w1[i] = Make(GgmlType.MXFP4, Inter, Dim, 10 + i); w3[i] = Make(GgmlType.MXFP4, Inter, Dim, 20 + i); w2[i] = Make(GgmlType.MXFP4, Dim, Inter, 30 + i);
        }
        long bytes = 0;
        for (int i = 0; i < K; i++) bytes += w1[i].DataBytes + w3[i].DataBytes + w2[i].DataBytes;
        var x = GC.AllocateArray<float>(Dim, pinned: true);
        var g = GC.AllocateArray<float>(K * Inter, pinned: true);
        var u = GC.AllocateArray<float>(K * Inter, pinned: true);
        var ye = GC.AllocateArray<float>(K * Dim, pinned: true);
        Input(Dim).CopyTo(x, 0);
        var products = new MatMulProduct[2 * K];
        foreach (ActivationPath a in new[] { ActivationPath.Exact, ActivationPath.Int8 })
        {
            WeightMatrix[] a1 = Array.ConvertAll(w1, m => m.WithActivations(a)), a3 = Array.ConvertAll(w3, m => m.WithActivations(a)), a2 = Array.ConvertAll(w2, m => m.WithActivations(a));
            double ms = Program.Time(() =>
            {
                fixed (float* px = x, pg = g, pu = u, py = ye)
                {
                    for (int i = 0; i < K; i++)
                    {
                        products[2 * i] = new(a1[i], px, pg + i * Inter, 1);
                        products[2 * i + 1] = new(a3[i], px, pu + i * Inter, 1);
                    }
                    MatMulBatch.Forward(products, 2 * K);
                    for (int i = 0; i < K; i++) products[i] = new(a2[i], pg + i * Inter, py + i * Dim, 1);
                    MatMulBatch.Forward(products, K);
                }
            }, 1);
            Report($"MXFP4 4 experts (batch) {a}", bytes, ms, bw);
        }
    }

    private static float[] Input(int n)
    {
        var x = new float[n];
        var rng = new Random(3);
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>A random matrix quantised to a ggml block format, in pinned memory.</summary>
    internal static WeightMatrix Make(GgmlType type, int rows, int cols, int seed)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        int rowBytes = cols / info.BlockElements * info.BlockBytes;
        long bytes = (long)rowBytes * rows;
        byte* p = HugePages(bytes);
        var rng = new Random(seed);
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < cols; i++) row[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
            GgmlQuantize.Quantize(type, row, new Span<byte>(p + (long)r * rowBytes, rowBytes));
        }
        return new WeightMatrix("w", info, rows, cols, p);
    }

    /// <summary>
    /// Memory as the engine holds resident weights (--weights-memory resident): 2 MB aligned and advised
    /// MADV_HUGEPAGE on Linux. Never freed: the bench process is short-lived.
    /// </summary>
    private static byte* HugePages(long bytes)
    {
        const long Huge = 2 << 20;
        long size = (bytes + Huge - 1) & ~(Huge - 1);
        var p = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)size, (nuint)Huge);
        if (OperatingSystem.IsLinux()) Madvise(p, (nuint)size, 14);   // MADV_HUGEPAGE: advice, no huge pages still works
        return p;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(void* address, nuint length, int advice);

    private static void Report(string name, long bytes, double ms, double bw)
    {
        double gbs = bytes / (ms * 1e-3) / 1e9;
        Console.WriteLine($"{name,-34} {ms * 1000,9:F1} us {bytes / 1e6,8:F2} MB {gbs,7:F1} GB/s {100 * gbs / bw,5:F0}% of bandwidth");
    }
}
