// y[T, out] = x[T, in] · W^T with int8 activations for products of fewer than MatMulInt8.MinTokens tokens
// (a decode step), GGUF Q8_0 and MXFP4 weights read in place, one row at a time (one sequential read
// stream per thread; nothing packed). Per 32-block, in 256-bit registers: the block's 32 weight bytes
// against the token's 32 activation codes in one unsigned x signed byte multiply-add (vpmaddubsw) and
// one pair add (vpmaddwd), giving 8 int32 lanes of 4 products each; those lanes are converted to float
// and added with ONE fused multiply-add by the block's scale sw * sx into the row's float lanes: no
// horizontal work per block. Blocks alternate between two accumulators (even, odd); the row's result
// is (acc0 + acc1) reduced as lanes i + 4, then i + 2, then 0 + 1.
//   Q8_0: |w| times the activation with w's sign (vpsignb); |pair| <= 128 x 127 x 2 fits int16.
//   MXFP4: the nibbles looked up as book + 12 (0..24, vpshufb), so the lane sums carry 12 x the lane's
//   four activation codes, subtracted in int32 (computed once per product): exact.
// The integer lane sums, the scales and the float order equal MatMulInt8RowsReference bit for bit (AVX2
// and the scalar path alike), so a token's row is the same in every product of 1..15 tokens. It is NOT the
// order of MatMulInt8's tiled path (one FMA per block there), so a token's int8 result differs by
// rounding between a product of < 16 tokens and one of >= 16 (docs/INT8.md).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels.Int8;

public static unsafe class MatMulInt8Rows
{
    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 18;
    /// <summary>Scratch bytes kept on the caller's stack; larger inputs rent from the pool.</summary>
    private const int StackBytes = 48 * 1024;

    /// <summary>Whether this product runs here: int8 activations asked for, Q8_0 or MXFP4, fewer than MatMulInt8.MinTokens tokens.</summary>
    public static bool Handles(WeightMatrix w, int tokens) =>
        w.Activations == ActivationPath.Int8 && tokens is > 0 and < MatMulInt8.MinTokens && w.Cols % 32 == 0
        && w.Format == WeightFormat.Ggml && w.Blocks.Type is GgmlType.Q8_0 or GgmlType.MXFP4;

    /// <summary>Bytes of quantised activations for a product: per token n codes, n/32 scales and (MXFP4) n/4 lane offsets.</summary>
    public static int ScratchBytes(WeightMatrix w, int tokens) => tokens * TokenBytes(w);

    private static int TokenBytes(WeightMatrix w) => w.Cols + w.Cols / 32 * 4 + (w.Blocks.Type == GgmlType.MXFP4 ? w.Cols : 0);

    /// <summary>Quantises x [tokens, n] into scratch (ScratchBytes): ActivationInt8's codes and scales, and for MXFP4 12 x every 4 codes' sum.</summary>
    public static void Prepare(float* x, WeightMatrix w, int tokens, byte* scratch)
    {
        int n = w.Cols, tb = TokenBytes(w);
        int* unused = stackalloc int[n / 32];
        for (int t = 0; t < tokens; t++)
        {
            byte* s = scratch + (long)t * tb;
            sbyte* q = (sbyte*)s;
            ActivationInt8.Quantize(x + (long)t * n, 1, n, q, (float*)(s + n), unused);
            if (w.Blocks.Type == GgmlType.MXFP4)
            {
                int* off = (int*)(s + n + n / 32 * 4);
                for (int l = 0; l < n / 4; l++) off[l] = 12 * (q[4 * l] + q[4 * l + 1] + q[4 * l + 2] + q[4 * l + 3]);
            }
        }
    }

    /// <summary>Rows [r0, r1) for every token, from the prepared activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(WeightMatrix w, byte* scratch, float* y, int tokens, int r0, int r1)
    {
        int n = w.Cols, m = w.Rows, blocks = n / 32, tb = TokenBytes(w);
        bool mx = w.Blocks.Type == GgmlType.MXFP4;
        for (int o = r0; o < r1; o++)
        {
            byte* row = w.Data + w.RowBytes * o;
            for (int t = 0; t < tokens; t++)
            {
                byte* s = scratch + (long)t * tb;
                sbyte* q = (sbyte*)s;
                float* sx = (float*)(s + n);
                y[(long)t * m + o] = !Avx2.IsSupported || !Fma.IsSupported ? MatMulInt8RowsReference.Dot(mx, row, q, sx, blocks)
                    : mx ? Mxfp4Avx2(row, q, sx, (int*)(sx + blocks), blocks) : Q8Avx2(row, q, sx, blocks);
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

    // One Q8_0 row: per block 8 int32 lanes of |w| * (x with w's sign), one FMA by d * sx. The f16 scales
    // of 8 blocks are gathered (stride 34) and widened together (F16x8), then permuted out block by block.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q8Avx2(byte* row, sbyte* q, float* sx, int blocks)
    {
        Vector256<float> a0 = default, a1 = default;
        var stride = Vector256.Create(0, 34, 68, 102, 136, 170, 204, 238);
        int b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            byte* blk = row + 34L * b;
            Vector256<float> sc = F16x8(Avx2.GatherVector256((int*)blk, stride, 1)) * Vector256.Load(sx + b);
            sbyte* qb = q + 32 * b;
            for (int k = 0; k < 8; k += 2)
            {
                a0 = Fma.MultiplyAdd(Q8Lanes(blk + 34 * k, qb + 32 * k), Avx2.PermuteVar8x32(sc, Vector256.Create(k)), a0);
                a1 = Fma.MultiplyAdd(Q8Lanes(blk + 34 * (k + 1), qb + 32 * (k + 1)), Avx2.PermuteVar8x32(sc, Vector256.Create(k + 1)), a1);
            }
        }
        for (; b < blocks; b++)
        {
            byte* blk = row + 34L * b;
            var v = Fma.MultiplyAdd(Q8Lanes(blk, q + 32 * b), Vector256.Create(F16.Decode(Unsafe.ReadUnaligned<ushort>(blk)) * sx[b]), (b & 1) == 0 ? a0 : a1);
            if ((b & 1) == 0) a0 = v; else a1 = v;
        }
        return Reduce(a0 + a1);
    }

    // The 8 lanes (4 products each) of a Q8_0 block against 32 activation codes, as floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8Lanes(byte* blk, sbyte* q)
    {
        var wv = Vector256.Load((sbyte*)blk + 2);
        var p = Avx2.MultiplyAddAdjacent(Avx2.Abs(wv), Avx2.Sign(Vector256.Load(q), wv));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(p, Vector256.Create((short)1)));
    }

    /// <summary>F16.Decode of the low 16 bits of 8 lanes: the same bits for every code (normals, zeros, subnormals, infinities, NaNs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> F16x8(Vector256<int> h)
    {
        var sign = (h & Vector256.Create(0x8000)) << 16;
        var e = (h >> 10) & Vector256.Create(0x1F);
        var m = h & Vector256.Create(0x3FF);
        var normal = sign | ((e + Vector256.Create(112)) << 23) | (m << 13);
        var sub = sign | (Vector256.ConvertToSingle(m) * Vector256.Create(1f / 16777216f)).AsInt32();
        var special = sign | Vector256.Create(0x7F800000) | (m << 13) | (~Vector256.Equals(m, Vector256<int>.Zero) & Vector256.Create(0x400000));
        var r = Vector256.ConditionalSelect(Vector256.Equals(e, Vector256<int>.Zero), sub, normal);
        return Vector256.ConditionalSelect(Vector256.Equals(e, Vector256.Create(0x1F)), special, r).AsSingle();
    }

    // One MXFP4 row: per block the 16 code bytes split into 32 nibbles (low: values 0-15, high: 16-31),
    // looked up as book + 12, multiplied with the codes; the +12 removed with the lane offsets. The e8m0
    // scales of 8 blocks are gathered (stride 17) and widened together.
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Mxfp4Avx2(byte* row, sbyte* q, float* sx, int* off, int blocks)
    {
        Vector256<float> a0 = default, a1 = default;
        float* sc = stackalloc float[8];   // broadcast from memory: measured faster here than permutes (the shuffle port is busy with the nibbles)
        var stride = Vector256.Create(0, 17, 34, 51, 68, 85, 102, 119);
        int b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            byte* blk = row + 17L * b;
            (E8M0x8(Avx2.GatherVector256((int*)blk, stride, 1) & Vector256.Create(0xFF)) * Vector256.Load(sx + b)).Store(sc);
            for (int k = 0; k < 8; k += 2)
            {
                a0 = Fma.MultiplyAdd(MxLanes(blk + 17 * k, q + 32 * (b + k), off + 8 * (b + k)), Vector256.Create(sc[k]), a0);
                a1 = Fma.MultiplyAdd(MxLanes(blk + 17 * (k + 1), q + 32 * (b + k + 1), off + 8 * (b + k + 1)), Vector256.Create(sc[k + 1]), a1);
            }
        }
        for (; b < blocks; b++)
        {
            byte* blk = row + 17L * b;
            var v = Fma.MultiplyAdd(MxLanes(blk, q + 32 * b, off + 8 * b), Vector256.Create(GgmlNonLinearBlocks.Mxfp4Scale(blk[0]) * sx[b]), (b & 1) == 0 ? a0 : a1);
            if ((b & 1) == 0) a0 = v; else a1 = v;
        }
        return Reduce(a0 + a1);
    }

    // The 8 lanes of an MXFP4 block against 32 activation codes, as floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MxLanes(byte* blk, sbyte* q, int* off)
    {
        var nib = Vector128.Create((byte)0x0F);
        var book = Vector256.Create((byte)12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0, 12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0);
        var codes = Vector128.Load(blk + 1);
        var u = Avx2.Shuffle(book, Vector256.Create(codes & nib, Vector128.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nib));
        var lanes = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Vector256.Load(q)), Vector256.Create((short)1)) - Vector256.Load(off);
        return Avx.ConvertToVector256Single(lanes);
    }

    /// <summary>GgmlNonLinearBlocks.Mxfp4Scale of 8 e8m0 bytes (2^(e-128); e 0 and 1 are subnormal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> E8M0x8(Vector256<int> e) =>
        Vector256.ConditionalSelect(Vector256.LessThan(e, Vector256.Create(2)), Avx2.ShiftLeftLogicalVariable(Vector256.Create(0x00200000), e.AsUInt32()),
            (e - Vector256.Create(1)) << 23).AsSingle();

    /// <summary>Lanes i + 4, then i + 2, then 0 + 1: MatMulInt8RowsReference.Reduce's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> v)
    {
        Vector128<float> s4 = v.GetLower() + v.GetUpper();
        Vector128<float> s2 = s4 + Vector128.Create(s4[2], s4[3], 0, 0);
        return s2.ToScalar() + s2[1];
    }
}
