// `--kernels`: one thread, the Q8_0 / MXFP4 row kernels alone (the exact float rows Q8Row / MxRow, the same
// over 4 panels of 256, the 4-row Rows4, and the int8 rows of MatMulInt8Rows with their quantisation), at
// L1-, L2- and memory-sized matrices, timed in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), which moves
// less with the machine's load than the wall clock. Prints the ISA flags and a clock estimate first.
// Matrices of 8 MB or more are copied into 2 MB-aligned memory advised MADV_HUGEPAGE (as the model's
// weights are read: FileBytes), and a plain one-thread read of the same bytes (a vector sum) is timed
// beside them: the per-core memory limit the row kernels are measured against.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Bench;

/// <summary>`--kernels`: one thread, row kernels in isolation, timed in this thread's CPU time (median of repeated calls).</summary>
public static unsafe class KernelBench
{
    private static void Int8Rows(WeightMatrix w, float* x, float* y, Action<string, Action> rep)
    {
        var wi = w.WithActivations(ActivationPath.Int8);
        var scratch = GC.AllocateArray<byte>(SharpSeek.Tensors.Kernels.Int8.MatMulInt8Rows.ScratchBytes(wi, 1), pinned: true);
        fixed (byte* s = scratch)
        {
            byte* sp = s;
            rep("int8 rows (prepare + rows)", () => { SharpSeek.Tensors.Kernels.Int8.MatMulInt8Rows.Prepare(x, wi, 1, sp); SharpSeek.Tensors.Kernels.Int8.MatMulInt8Rows.Rows(wi, sp, y, 1, 0, wi.Rows); });
            rep("int8 rows (rows only)", () => SharpSeek.Tensors.Kernels.Int8.MatMulInt8Rows.Rows(wi, sp, y, 1, 0, wi.Rows));
        }
    }

    public static double CpuTime(Action a, double seconds)
    {
        a(); a();
        var samples = new List<double>();
        var total = System.Diagnostics.Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || samples.Count < 5)
        {
            double t0 = SharpSeek.Tensors.Kernels.ThreadCpuClock.Nanoseconds() * 1e-6;
            a();
            samples.Add(SharpSeek.Tensors.Kernels.ThreadCpuClock.Nanoseconds() * 1e-6 - t0);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }

    public static void Run()
    {
        // A chain of 100M dependent scalar FMAs (4 cycles each on Zen 4): this thread's clock.
        float f = 1;
        double ms = CpuTime(() => { float v = f; for (int i = 0; i < 100_000_000; i++) v = MathF.FusedMultiplyAdd(v, 0.999999f, 1e-7f); f = v; }, 1);
        Console.WriteLine($"Avx512BW {System.Runtime.Intrinsics.X86.Avx512BW.IsSupported}, Avx2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, "
            + $"Avx512Vbmi {System.Runtime.Intrinsics.X86.Avx512Vbmi.IsSupported}, AvxVnni {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}, Avx10v1 {System.Runtime.Intrinsics.X86.Avx10v1.IsSupported}");
        Console.WriteLine($"dependent FMA chain: {400e6 / (ms * 1e-3) / 1e9:F2} GHz if 4 cycles each ({f})");
        foreach (var (type, rows, cols) in new[] { (GgmlType.Q8_0, 16, 1024), (GgmlType.MXFP4, 16, 1024), (GgmlType.Q8_0, 512, 1024), (GgmlType.Q8_0, 32768, 1024), (GgmlType.Q8_0, 129280, 1024), (GgmlType.MXFP4, 512, 1024), (GgmlType.MXFP4, 65536, 1024), (GgmlType.MXFP4, 131072, 1024) })
        {
            WeightMatrix w = DecodeBench.Make(type, rows, cols, 1);
            byte* huge = null;
            if (w.DataBytes >= 8 << 20) w = HugePageCopy(w, type, out huge);
            var xs = GC.AllocateArray<float>(cols, pinned: true);
            var ys = GC.AllocateArray<float>(rows, pinned: true);
            var rng = new Random(3);
            for (int i = 0; i < cols; i++) xs[i] = (float)(rng.NextDouble() * 2 - 1);
            fixed (float* x = xs, y = ys)
            {
                byte* d = w.Data; long rb = w.RowBytes; int bpb = type == GgmlType.Q8_0 ? 34 : 17;
                float* xp = x; float* yp = y;
                int reps = rows < 100 ? 200 : 1;
                void Rep(string name, Action a1) { Action a = () => { for (int i = 0; i < reps; i++) a1(); }; double ms = CpuTime(a, 0.5) / reps; Console.WriteLine($"{type} {rows}x{cols} {name,-24} {ms * 1000,9:F1} us {w.DataBytes / (ms * 1e-3) / 1e9,6:F1} GB/s"); }
                if (huge != null) { byte* hp = huge; long n = w.DataBytes; Rep("read (vector sum)", () => yp[0] = ReadSum(hp, n)); }
                if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) Int8Rows(w, xp, yp, Rep);   // the fused float rows need AVX-512
                else if (type == GgmlType.Q8_0)
                {
                    Rep("Q8Row", () => { for (int o = 0; o < rows; o++) yp[o] = MatMulDotGgml.Q8Row(xp, d + o * rb, cols); });
                    Rep("Q8Row 4 segments", () => { for (int o = 0; o < rows; o++) { float s = 0; for (int c0 = 0; c0 < cols; c0 += 256) s += MatMulDotGgml.Q8Row(xp + c0, d + o * rb + c0 / 32 * 34, 256); yp[o] = s; } });
                    Rep("Rows4", () => { for (int o = 0; o < rows; o += 4) MatMulDotGgml.Rows4(type, xp, d + o * rb, d + (o + 1) * rb, d + (o + 2) * rb, d + (o + 3) * rb, cols, yp + o); });
                    Int8Rows(w, xp, yp, Rep);
                }
                else
                {
                    Rep("MxRow", () => { for (int o = 0; o < rows; o++) yp[o] = MatMulDotGgml.MxRow(xp, d + o * rb, cols); });
                    Rep("MxRow 4 segments", () => { for (int o = 0; o < rows; o++) { float s = 0; for (int c0 = 0; c0 < cols; c0 += 256) s += MatMulDotGgml.MxRow(xp + c0, d + o * rb + c0 / 32 * 17, 256); yp[o] = s; } });
                    Rep("Rows4", () => { for (int o = 0; o < rows; o += 4) MatMulDotGgml.Rows4(type, xp, d + o * rb, d + (o + 1) * rb, d + (o + 2) * rb, d + (o + 3) * rb, cols, yp + o); });
                    Int8Rows(w, xp, yp, Rep);
                }
            }
            if (huge != null) System.Runtime.InteropServices.NativeMemory.AlignedFree(huge);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(void* address, nuint length, int advice);

    // The matrix's bytes in 2 MB-aligned memory advised MADV_HUGEPAGE (before it is touched), as FileBytes reads weights.
    private static WeightMatrix HugePageCopy(WeightMatrix w, GgmlType type, out byte* copy)
    {
        const int hugePage = 2 << 20, madvHugePage = 14;
        nuint bytes = (nuint)((w.DataBytes + hugePage - 1) / hugePage * hugePage);
        void* p = System.Runtime.InteropServices.NativeMemory.AlignedAlloc(bytes, hugePage);
        Madvise(p, bytes, madvHugePage);
        Buffer.MemoryCopy(w.Data, p, (long)bytes, w.DataBytes);
        copy = (byte*)p;
        return new WeightMatrix(w.Name, GgmlTypes.Info(type), w.Rows, w.Cols, (byte*)p);
    }

    // Sum of n bytes read as floats (n a multiple of 256): one thread's read rate.
    private static float ReadSum(byte* p, long n)
    {
        System.Runtime.Intrinsics.Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (long j = 0; j + 256 <= n; j += 256)
        {
            s0 += System.Runtime.Intrinsics.Vector512.Load((float*)(p + j)); s1 += System.Runtime.Intrinsics.Vector512.Load((float*)(p + j + 64));
            s2 += System.Runtime.Intrinsics.Vector512.Load((float*)(p + j + 128)); s3 += System.Runtime.Intrinsics.Vector512.Load((float*)(p + j + 192));
        }
        return System.Runtime.Intrinsics.Vector512.Sum(s0 + s1 + s2 + s3);
    }
}

