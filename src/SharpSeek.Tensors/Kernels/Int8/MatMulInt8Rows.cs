// y[T, out] = x[T, in] · W^T with int8 activations for products of fewer than MatMulInt8.MinTokens tokens
// (a decode step), GGUF Q8_0 and MXFP4 and official FP4 weights read in place, one row at a time (one
// sequential read stream per thread; nothing packed). The input is quantised once per product (Prepare:
// ActivationInt8's codes and scales, for MXFP4 and FP4 12 x each block's code sum); each row is then one Int8RowDot against each
// token's codes: per 32-block 8 exact int32 lanes, one fused multiply-add by the block's scale into
// accumulator b mod 4, one reduction per row. The order equals MatMulInt8RowsReference bit for bit
// (AVX-512, AVX2 and the scalar path alike), so a token's row is the same in every product of 1..15 tokens.
// It is NOT the order of MatMulInt8's tiled path, so a token's int8 result differs by rounding between a
// product of < 16 tokens and one of >= 16 (docs/INT8.md).
using System.Runtime.CompilerServices;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels.Int8;

public static unsafe class MatMulInt8Rows
{
    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 18;
    /// <summary>Scratch bytes kept on the caller's stack; larger inputs rent from the pool.</summary>
    private const int StackBytes = 48 * 1024;

    /// <summary>Whether this product runs here: int8 activations asked for, GGUF Q8_0 or MXFP4 or official FP4, fewer than MatMulInt8.MinTokens tokens.</summary>
    public static bool Handles(WeightMatrix w, int tokens) =>
        w.Activations == ActivationPath.Int8 && tokens is > 0 and < MatMulInt8.MinTokens && w.Cols % 32 == 0
        && (w.Format == WeightFormat.Fp4Block32 || (w.Format == WeightFormat.Ggml && w.Blocks.Type is GgmlType.Q8_0 or GgmlType.MXFP4));

    /// <summary>Whether a (Handles) weight b reads the prepared activations of a's product as they are (same width and layout).</summary>
    internal static bool SameScratch(WeightMatrix a, WeightMatrix b) =>
        a.Cols == b.Cols && Handles(b, 1) && (FormatOf(a) == Int8RowFormat.Q8_0) == (FormatOf(b) == Int8RowFormat.Q8_0);

    /// <summary>The row kernel's format of a weight Handles accepts.</summary>
    internal static Int8RowFormat FormatOf(WeightMatrix w) =>
        w.Format == WeightFormat.Fp4Block32 ? Int8RowFormat.Fp4 : w.Blocks.Type == GgmlType.MXFP4 ? Int8RowFormat.Mxfp4 : Int8RowFormat.Q8_0;

    /// <summary>Bytes of quantised activations for a product: per token n codes, n/32 scales and (MXFP4, FP4) n/32 block offsets.</summary>
    public static int ScratchBytes(WeightMatrix w, int tokens) => tokens * TokenBytes(w);

    private static int TokenBytes(WeightMatrix w) => w.Cols + w.Cols / 32 * 4 * (FormatOf(w) == Int8RowFormat.Q8_0 ? 1 : 2);

    /// <summary>Quantises x [tokens, n] into scratch (ScratchBytes): ActivationInt8's codes and scales, and for MXFP4 and FP4 12 x each block's code sum as a float.</summary>
    [SkipLocalsInit]
    public static void Prepare(float* x, WeightMatrix w, int tokens, byte* scratch)
    {
        int n = w.Cols, tb = TokenBytes(w), blocks = n / 32;
        bool mx = FormatOf(w) != Int8RowFormat.Q8_0;   // the nibble formats carry the book's + 12
        int* unused = stackalloc int[mx ? 0 : blocks];
        for (int t = 0; t < tokens; t++)
        {
            byte* s = scratch + (long)t * tb;
            int* sums = mx ? (int*)(s + n + blocks * 4) : unused;
            ActivationInt8.Quantize(x + (long)t * n, 1, n, (sbyte*)s, (float*)(s + n), sums);
            if (mx)
                for (int b = 0; b < blocks; b++) ((float*)sums)[b] = 12 * sums[b];   // exact: |12 x 32 x 127| < 2^24
        }
    }

    /// <summary>Rows [r0, r1) for every token, from the prepared activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(WeightMatrix w, byte* scratch, float* y, int tokens, int r0, int r1)
    {
        int n = w.Cols, m = w.Rows, blocks = n / 32, tb = TokenBytes(w);
        Int8RowFormat f = FormatOf(w);
        bool fp4 = f == Int8RowFormat.Fp4;
        long rowBytes = fp4 ? n / 2 : w.RowBytes, scaleRow = fp4 ? w.ScaleCols : 0;
        if (Int8RowDot.IsSupported) { Int8RowDot.Rows(f, w.Data, rowBytes, w.Scales, scaleRow, r0, r1, scratch, tb, tokens, n, y, m); return; }
        for (int o = r0; o < r1; o++)
        {
            byte* row = w.Data + rowBytes * o;
            for (int t = 0; t < tokens; t++)
            {
                byte* s = scratch + (long)t * tb;
                y[(long)t * m + o] = MatMulInt8RowsReference.Dot(f, row, fp4 ? w.Scales + scaleRow * o : null, (sbyte*)s, (float*)(s + n), blocks);
            }
        }
    }

    /// <summary>y [tokens, Rows] = x [tokens, Cols] · W^T with int8 activations (Handles must hold).</summary>
    [SkipLocalsInit]
    public static void Forward(float* x, WeightMatrix w, float* y, int tokens)
    {
        if (!Handles(w, tokens)) throw new NotSupportedException($"{w.Name}: no one-row int8 product for {w.Format} at {tokens} tokens");
        int bytes = ScratchBytes(w, tokens);
        byte[]? rented = bytes > StackBytes ? System.Buffers.ArrayPool<byte>.Shared.Rent(bytes) : null;
        byte* stack = stackalloc byte[rented is null ? bytes : 0];
        try
        {
            fixed (byte* heap = rented)
            {
                byte* scratch = rented is null ? stack : heap;
                Prepare(x, w, tokens, scratch);
                int m = w.Rows, cores = Environment.ProcessorCount;
                if ((long)m * w.Cols * tokens < ParallelWork || cores == 1 || m < 32) { Rows(w, scratch, y, tokens, 0, m); return; }
                var job = new Job { W = w, Scratch = scratch, Y = y, Tokens = tokens, Per = (m + cores * 8 - 1) / (cores * 8) };
                WorkerTeam.Shared.Run((m + job.Per - 1) / job.Per, Unsafe.AsPointer(ref job), &RunChunk);   // job lives on this frame until Run returns
            }
        }
        finally { if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
    }

    private struct Job
    {
        public WeightMatrix W;
        public byte* Scratch;
        public float* Y;
        public int Tokens, Per;
    }

    private static void RunChunk(void* state, int c)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        Rows(j.W, j.Scratch, j.Y, j.Tokens, c * j.Per, Math.Min(j.W.Rows, (c + 1) * j.Per));
    }
}
