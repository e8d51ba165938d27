// `--head`: the one-token vocabulary head (V4's head.weight, [129280, 1024]; BF16 and its int8 copy) against this
// machine's read bandwidth (a vector sum over 512 MB on the same threads), so a head kernel can be
// quoted as a share of the limit. Threads = Environment.ProcessorCount (DOTNET_PROCESSOR_COUNT=1).
using System.Runtime.Intrinsics;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static unsafe class HeadBench
{
    private const int Vocab = 129280, Dim = 1024;

    public static void Run()
    {
        int cores = Environment.ProcessorCount;
        double bw = ReadBandwidth(cores);
        Console.WriteLine($"threads {cores}: read bandwidth {bw:F1} GB/s (sum over 512 MB, median)");
        var x = new float[Dim];
        var rng = new Random(3);
        for (int i = 0; i < Dim; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[Vocab];
        WeightMatrix bf16 = BenchWeights.Make(WeightFormat.BF16, Vocab, Dim, 1);
        Report("BF16 (exact)", bf16.DataBytes, Program.Time(() => MatMul.ForwardF32(x, bf16, y, 1), 3), bw);
        WeightMatrix int8 = Int8Block32.Quantize(bf16);
        long int8Bytes = int8.DataBytes + 4L * int8.ScaleRows * int8.ScaleCols;
        Report("Int8Block32 (fast)", int8Bytes, Program.Time(() => MatMul.ForwardF32(x, int8, y, 1), 3), bw);
        foreach (GgmlType type in new[] { GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            WeightMatrix q = Ggml(bf16, type);
            Report($"GGUF {type}", q.DataBytes, Program.Time(() => MatMul.ForwardF32(x, q, y, 1), 3), bw);
        }
    }

    /// <summary>The BF16 head quantised to a ggml block format (a GGUF head), in pinned memory.</summary>
    private static WeightMatrix Ggml(WeightMatrix w, GgmlType type)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        int rowBytes = w.Cols / info.BlockElements * info.BlockBytes;
        var data = GC.AllocateArray<byte>(rowBytes * w.Rows, pinned: true);
        var row = new float[w.Cols];
        for (int r = 0; r < w.Rows; r++)
        {
            w.DecodeRow(r, row);
            GgmlQuantize.Quantize(type, row, data.AsSpan(r * rowBytes, rowBytes));
        }
        fixed (byte* p = data) return new WeightMatrix(w.Name, info, w.Rows, w.Cols, p, data);
    }

    private static void Report(string name, long bytes, double ms, double bw)
    {
        double gbs = bytes / (ms * 1e-3) / 1e9;
        Console.WriteLine($"{name,-22} {ms,8:F2} ms/token {bytes / 1e6,8:F0} MB {gbs,7:F1} GB/s {100 * gbs / bw,5:F0}% of bandwidth");
    }

    /// <summary>Median GB/s of a parallel vector sum over a 512 MB buffer split in <paramref name="threads"/> parts.</summary>
    internal static double ReadBandwidth(int threads)
    {
        const long bytes = 512L << 20;
        var buf = GC.AllocateArray<float>((int)(bytes / 4), pinned: true);
        for (int i = 0; i < buf.Length; i += 1024) buf[i] = i;
        fixed (float* p0 = buf)
        {
            nint p = (nint)p0;
            long per = bytes / 4 / threads;
            var sums = new float[threads];
            double ms = Program.Time(() => Parallel.For(0, threads, t =>
            {
                float* a = (float*)p + t * per;
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (long j = 0; j < per; j += 64)
                {
                    s0 += Vector512.Load(a + j); s1 += Vector512.Load(a + j + 16);
                    s2 += Vector512.Load(a + j + 32); s3 += Vector512.Load(a + j + 48);
                }
                sums[t] = Vector512.Sum(s0 + s1 + s2 + s3);
            }), 3);
            return bytes / (ms * 1e-3) / 1e9;
        }
    }
}
