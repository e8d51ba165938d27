// Boundary: whole rows -> ggml grid-format blocks (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S),
// each block with its slice of the importance row, spread over the worker team (blocks are independent
// and each is written by exactly one worker, so the bytes do not depend on the team size). The grid
// searches are ~100x the work of the K formats' per block, which is why these are run in parallel.
using System.Runtime.CompilerServices;

using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Tensors.Ggml;

internal static unsafe class GgmlIqQuantize
{
    public static bool IsGrid(GgmlType type) => type is GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S or GgmlType.IQ1_M;


    // One block per index: a block is 0.1-0.5 ms of search, so a row of 4096 (16 blocks) can keep 16 cores busy.
    private const int BlocksPerChunk = 1;

    /// <summary>src (whole rows of importance.Length, or whole 256-value blocks without importance) into dst.</summary>
    public static void Blocks(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst, ReadOnlySpan<float> importance)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        if (importance.IsEmpty && GgmlImportance.Required(type))
            throw new ArgumentException($"{info.Name} needs an importance matrix (ggml refuses to quantise it without one)", nameof(importance));
        int blocks = src.Length / info.BlockElements;
        fixed (float* s = src) fixed (byte* d = dst) fixed (float* w = importance)
        {
            var job = new Job { Type = type, Src = s, Dst = d, Importance = w, Columns = importance.Length, Blocks = blocks, Info = info };
            int chunks = (blocks + BlocksPerChunk - 1) / BlocksPerChunk;
            WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &RunChunk);   // job lives on this frame until Run returns
        }
    }

    private struct Job
    {
        public GgmlType Type;
        public float* Src, Importance;
        public byte* Dst;
        public int Columns, Blocks;
        public GgmlTypeInfo Info;
    }

    private static void RunChunk(void* state, int c)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int n = j.Info.BlockElements;
        for (int b = c * BlocksPerChunk; b < Math.Min(j.Blocks, (c + 1) * BlocksPerChunk); b++)
        {
            var x = new ReadOnlySpan<float>(j.Src + (long)b * n, n);
            var y = new Span<byte>(j.Dst + (long)b * j.Info.BlockBytes, j.Info.BlockBytes);
            ReadOnlySpan<float> qw = j.Columns == 0 ? default : new ReadOnlySpan<float>(j.Importance + (long)b * n % j.Columns, n);
            Block(j.Type, x, qw, y);
        }
    }

    /// <summary>One block of <paramref name="type"/> from 256 values and their importance (256 weights, or empty).</summary>
    public static void Block(GgmlType type, ReadOnlySpan<float> x, ReadOnlySpan<float> qw, Span<byte> y)
    {
        switch (type)
        {
            case GgmlType.IQ2_XXS: GgmlIq2Quantize.IQ2_XXS(x, qw, y); break;
            case GgmlType.IQ2_XS: GgmlIq2Quantize.IQ2_XS(x, qw, y); break;
            case GgmlType.IQ2_S: GgmlIq2Quantize.IQ2_S(x, qw, y); break;
            case GgmlType.IQ3_XXS: GgmlIq3Quantize.IQ3_XXS(x, qw, y); break;
            case GgmlType.IQ3_S: GgmlIq3Quantize.IQ3_S(x, qw, y); break;
            case GgmlType.IQ1_S: GgmlIq1Quantize.IQ1_S(x, qw, y); break;
            case GgmlType.IQ1_M: GgmlIq1Quantize.IQ1_M(x, qw, y); break;
            default: throw new NotSupportedException($"{GgmlTypes.Info(type).Name} is not a grid format");
        }
    }
}
