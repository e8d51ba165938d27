// `--ggml`: for every ggml format the matmul reads, the decode throughput of its scalar twin
// (GgmlBlocks) against the vectorised decoder (GgmlBlocksFast), in GB/s of blocks decoded panel by
// panel (1,024 values into one reused buffer, as the matmul does), and one product of an expert-shaped
// [512, 1024] matrix with 1 and 64 tokens through MatMul.ForwardF32 (whatever decoder the build has).
// Blocks are random bytes redrawn until they decode to finite values, as in the tests; F16/BF16/F32
// hold random values in [-1, 1].
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

public static unsafe class GgmlBench
{
    public static void Run(string[] only)
    {
        const int rows = 512, cols = 1024;
        Console.WriteLine($"cores {Environment.ProcessorCount}, Avx2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, Avx512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}; matrix [{rows}, {cols}]");
        Console.WriteLine($"{"format",-8} {"vec",4} {"twin GB/s",10} {"fast GB/s",10} {"ratio",7} {"T=1 ms",8} {"T=64 ms",8}");
        foreach (GgmlType type in Enum.GetValues<GgmlType>().Where(GgmlBlocks.CanDequantize))
        {
            GgmlTypeInfo info = GgmlTypes.Info(type);
            if (only.Length > 0 && !only.Contains(info.Name, StringComparer.OrdinalIgnoreCase)) continue;
            byte[] data = Blocks(type, rows * cols, 1);
            int panelBytes = cols / info.BlockElements * info.BlockBytes;
            var panel = new float[cols];
            double twin = Program.Time(() => Panels(data, panelBytes, panel, (s, d) => GgmlBlocks.Dequantize(type, s, d)), 0.3);
            double fast = Program.Time(() => Panels(data, panelBytes, panel, (s, d) => GgmlBlocksFast.Dequantize(type, s, d)), 0.3);
            double gb = data.Length / 1e9;
            fixed (byte* p = data)
            {
                var w = new WeightMatrix($"w.{info.Name}", info, rows, cols, p, data);
                double t1 = Product(w, 1), t64 = Product(w, 64);
                Console.WriteLine($"{info.Name,-8} {(GgmlBlocksFast.IsVectorised(type) ? "yes" : "no"),4} {gb / (twin * 1e-3),10:F2} {gb / (fast * 1e-3),10:F2} {twin / fast,6:F1}x {t1,8:F3} {t64,8:F3}");
            }
        }
    }

    private delegate void Decode(ReadOnlySpan<byte> src, Span<float> dst);

    private static void Panels(byte[] data, int panelBytes, float[] panel, Decode decode)
    {
        for (int at = 0; at < data.Length; at += panelBytes) decode(data.AsSpan(at, panelBytes), panel);
    }

    private static double Product(WeightMatrix w, int tokens)
    {
        var rng = new Random(2);
        var x = new float[tokens * w.Cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[tokens * w.Rows];
        return Program.Time(() => MatMul.ForwardF32(x, w, y, tokens), 0.3);
    }

    private static byte[] Blocks(GgmlType type, int elements, int seed)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        var rng = new Random(seed);
        var data = GC.AllocateArray<byte>(elements / info.BlockElements * info.BlockBytes, pinned: true);
        if (info.BlockElements == 1)
        {
            for (int i = 0; i < elements; i++)
            {
                float v = (float)(rng.NextDouble() * 2 - 1);
                Span<byte> at = data.AsSpan(i * info.BlockBytes);
                if (type == GgmlType.F32) BitConverter.TryWriteBytes(at, v);
                else BitConverter.TryWriteBytes(at, type == GgmlType.F16 ? SharpSeek.Tensors.Codecs.F16.Encode(v) : SharpSeek.Tensors.Codecs.Bf16.Encode(v));
            }
            return data;
        }
        var values = new float[info.BlockElements];
        for (int b = 0; b < elements / info.BlockElements; b++)
        {
            Span<byte> block = data.AsSpan(b * info.BlockBytes, info.BlockBytes);
            do
            {
                rng.NextBytes(block);
                GgmlBlocks.Dequantize(type, block, values);
            } while (values.Any(v => !float.IsFinite(v) || Math.Abs(v) > 1e30f));
        }
        return data;
    }
}
