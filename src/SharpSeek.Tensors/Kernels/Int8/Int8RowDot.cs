// One row of GGUF Q8_0 / MXFP4 blocks or official FP4 (Fp4Block32) against one token's int8 activation
// codes (MatMulInt8Rows), in 256-bit registers, 8 blocks per step. MXFP4 and FP4 share one loop (Nibbles<F>;
// they differ in block stride, where the e8m0 scale lives and the nibble order); each format's row loops
// are their own method, so the JIT inlines and hoists within each.
// 1. Scales. Q8_0: each block's f16 is looked up in F16Table (F16.Decode of every code; the few lines a
//    matrix's scale exponents touch stay in L1) and times the activation scale, one broadcast multiply per
//    block. (Picking 8 scales out of the row with AVX-512 permutes and widening them together, the earlier
//    way, cost more: one core, bench --q8: wq_b 178 -> 147 us, the head 5.6 -> 5.2 ms.) MXFP4: the 8 e8m0
//    scales are picked out together (two 64-byte loads and one VBMI byte permute; a gather costs ~10 cycles
//    on this Zen 4), widened, times the 8 activation scales, and stored once; each block's FMA broadcasts
//    its scale from there; FP4 reads its 8 scale bytes from the scale row (255 is NaN there). Each step
//    also prefetches the lines 4 KB ahead (Ahead).
// 2. Per block, 32 weights against 32 codes: one unsigned x signed byte multiply-add (vpmaddubsw) and one
//    pair add (vpmaddwd) give 8 int32 lanes of 4 products, exact. Q8_0 takes |w| against the codes with w's
//    sign (vpsignb; |pair| <= 128 x 127 x 2 fits int16). MXFP4 looks its nibbles up as E2M1 x 2 + 12
//    (0..24; on AVX-512 VBMI one variable word shift and one vpermb of a 32-entry book, else masks and
//    vpshufb); FP4's packed pairs come out in element order (VBMI: dwords widened to qwords and one
//    vpmultishiftqb; else masks, byte interleaves and vpshufb). Their lanes carry + 12 x their 4 codes. That bias comes out once per row, not per block: a
//    fifth accumulator, bias, gathers scale x 12 x (the block's code sum, computed once per product), one
//    FMA per 8 blocks (lane b mod 8), and the row is the sum below minus bias's lanes summed (i + 4, i + 2,
//    0 + 1).
// 3. The lanes are converted and added with ONE fused multiply-add by the block's scale into accumulator
//    b mod 4 (four chains: the FMA latency is not the limit).
// 4. The row's result: (a0 + a1) + (a2 + a3) per lane, then lanes i + 4, i + 2, 0 + 1.
// Per 32 weights: 6 vector ops (Q8_0: abs, sign, two multiply-adds, convert, FMA) plus the scale.
// (Summing each block's lanes to one int32 first, then one FMA per 8 blocks, measured slower: the exact
// transposing sum costs ~2.6 ops per block, more than the convert and FMA it saves.)
// MatMulInt8RowsReference.Dot follows the same order: the two agree bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Kernels.Int8;

/// <summary>The row formats of Int8RowDot: GGUF Q8_0 and MXFP4 blocks, and the official FP4 (Fp4Block32: packed nibbles, scales apart).</summary>
internal enum Int8RowFormat { Q8_0, Mxfp4, Fp4 }

internal static unsafe class Int8RowDot
{
    /// <summary>Whether the vector rows run (AVX2 and FMA); otherwise MatMulInt8RowsReference.Dot does.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Rows [r0, r1) of a Q8_0, MXFP4 or official FP4 matrix w (rowBytes apart, n columns; FP4's e8m0 scales
    /// in ws, scaleRow bytes apart) against every token's prepared activations (scratch, tokenBytes apart: n codes,
    /// n/32 scales, for MXFP4 and FP4 n/32 block offsets): y[t * m + o]. One call per range: no call and
    /// frame per row.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(Int8RowFormat f, byte* w, long rowBytes, byte* ws, long scaleRow, int r0, int r1, byte* scratch, int tokenBytes, int tokens, int n, float* y, int m)
    {
        // One compiled loop nest per format: all three in one method ran past the JIT's inlining budget
        // (helpers called, constants spilled).
        if (f == Int8RowFormat.Q8_0) RowsQ8(w, rowBytes, r0, r1, scratch, tokenBytes, tokens, n, y, m);
        else if (f == Int8RowFormat.Mxfp4) RowsNibbles<MxBlocks>(w, rowBytes, null, 0, r0, r1, scratch, tokenBytes, tokens, n, y, m);
        else RowsNibbles<Fp4Blocks>(w, rowBytes, ws, scaleRow, r0, r1, scratch, tokenBytes, tokens, n, y, m);
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsQ8(byte* w, long rowBytes, int r0, int r1, byte* scratch, int tokenBytes, int tokens, int n, float* y, int m)
    {
        int blocks = n / 32;
        var z = Consts.Make();
        if (tokens == 1)
        {
            // A decode step: one row loop, little live across rows (the general loop below reloads ~6
            // spilled values per row: 16-block rows ran 8-9% slower through it).
            for (int o = r0; o < r1; o++) y[o] = Q8(w + rowBytes * o, (sbyte*)scratch, (float*)(scratch + n), blocks, z);
            return;
        }
        for (int o = r0; o < r1; o++)
            for (int t = 0; t < tokens; t++)
            {
                byte* s = scratch + (long)t * tokenBytes;
                y[(long)t * m + o] = Q8(w + rowBytes * o, (sbyte*)s, (float*)(s + n), blocks, z);
            }
    }

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsNibbles<F>(byte* w, long rowBytes, byte* ws, long scaleRow, int r0, int r1, byte* scratch, int tokenBytes, int tokens, int n, float* y, int m)
        where F : struct, INibbleBlocks
    {
        int blocks = n / 32;
        float* sc = stackalloc float[8];
        var z = Consts.Make();
        if (tokens == 1)
        {
            float* sx1 = (float*)(scratch + n);
            for (int o = r0; o < r1; o++) y[o] = Nibbles<F>(w + rowBytes * o, ws + scaleRow * o, (sbyte*)scratch, sx1, sx1 + blocks, blocks, sc, z);
            return;
        }
        for (int o = r0; o < r1; o++)
            for (int t = 0; t < tokens; t++)
            {
                byte* s = scratch + (long)t * tokenBytes;
                float* sx = (float*)(s + n);
                y[(long)t * m + o] = Nibbles<F>(w + rowBytes * o, ws + scaleRow * o, (sbyte*)s, sx, sx + blocks, blocks, sc, z);
            }
    }

    // One Q8_0 row (blocks of 34 bytes) against codes q, scales sx.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q8(byte* row, sbyte* q, float* sx, int blocks, in Consts z)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            byte* k = row + 34L * b;
            sbyte* c = q + 32 * b;
            Ahead(k, 5);
            float* d = sx + b;
            a0 = Fma.MultiplyAdd(Q8Lanes(k, c, z), Q8Scale(k, d, (float*)z.F16), a0);
            a1 = Fma.MultiplyAdd(Q8Lanes(k + 34, c + 32, z), Q8Scale(k + 34, d + 1, (float*)z.F16), a1);
            a2 = Fma.MultiplyAdd(Q8Lanes(k + 68, c + 64, z), Q8Scale(k + 68, d + 2, (float*)z.F16), a2);
            a3 = Fma.MultiplyAdd(Q8Lanes(k + 102, c + 96, z), Q8Scale(k + 102, d + 3, (float*)z.F16), a3);
            a0 = Fma.MultiplyAdd(Q8Lanes(k + 136, c + 128, z), Q8Scale(k + 136, d + 4, (float*)z.F16), a0);
            a1 = Fma.MultiplyAdd(Q8Lanes(k + 170, c + 160, z), Q8Scale(k + 170, d + 5, (float*)z.F16), a1);
            a2 = Fma.MultiplyAdd(Q8Lanes(k + 204, c + 192, z), Q8Scale(k + 204, d + 6, (float*)z.F16), a2);
            a3 = Fma.MultiplyAdd(Q8Lanes(k + 238, c + 224, z), Q8Scale(k + 238, d + 7, (float*)z.F16), a3);
        }
        for (; b < blocks; b++)
        {
            byte* k = row + 34L * b;
            Add(b, Q8Lanes(k, q + 32 * b, z), Q8Scale(k, sx + b, (float*)z.F16), ref a0, ref a1, ref a2, ref a3);
        }
        return Reduce(a0, a1, a2, a3);
    }

    // One MXFP4 or official FP4 row (F: the format's block stride, scales and nibble order) against codes q,
    // scales sx and block offsets off (12 x each block's code sum); es: FP4's e8m0 scales of the row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Nibbles<F>(byte* row, byte* es, sbyte* q, float* sx, float* off, int blocks, float* sc, in Consts z) where F : struct, INibbleBlocks
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, bias = default;
        int b = 0, d = F.Stride;
        for (; b + 8 <= blocks; b += 8)
        {
            byte* k = row + (long)d * b;
            sbyte* c = q + 32 * b;
            Ahead(k, (8 * d + 63) / 64);
            Vector256<float> s = F.Scales8(k, es + b) * Vector256.Load(sx + b);
            s.Store(sc);
            bias = Fma.MultiplyAdd(s, Vector256.Load(off + b), bias);
            a0 = Fma.MultiplyAdd(F.Lanes(k, c, z), Vector256.Create(sc[0]), a0);
            a1 = Fma.MultiplyAdd(F.Lanes(k + d, c + 32, z), Vector256.Create(sc[1]), a1);
            a2 = Fma.MultiplyAdd(F.Lanes(k + 2 * d, c + 64, z), Vector256.Create(sc[2]), a2);
            a3 = Fma.MultiplyAdd(F.Lanes(k + 3 * d, c + 96, z), Vector256.Create(sc[3]), a3);
            a0 = Fma.MultiplyAdd(F.Lanes(k + 4 * d, c + 128, z), Vector256.Create(sc[4]), a0);
            a1 = Fma.MultiplyAdd(F.Lanes(k + 5 * d, c + 160, z), Vector256.Create(sc[5]), a1);
            a2 = Fma.MultiplyAdd(F.Lanes(k + 6 * d, c + 192, z), Vector256.Create(sc[6]), a2);
            a3 = Fma.MultiplyAdd(F.Lanes(k + 7 * d, c + 224, z), Vector256.Create(sc[7]), a3);
        }
        if (b < blocks)
        {
            bias.Store(sc);   // a tail's blocks go to bias lane b mod 8, after the steps' blocks
            for (; b < blocks; b++)
            {
                byte* k = row + (long)d * b;
                float scale = F.Scale(k, es + b) * sx[b];
                Add(b, F.Lanes(k, q + 32 * b, z), Vector256.Create(scale), ref a0, ref a1, ref a2, ref a3);
                sc[b & 7] = MathF.FusedMultiplyAdd(scale, off[b], sc[b & 7]);
            }
            bias = Vector256.Load(sc);
        }
        return Reduce(a0, a1, a2, a3) - SumLanes(bias);
    }

    /// <summary>What MXFP4 and official FP4 rows differ in; a struct per format, so Nibbles is compiled once for each.</summary>
    private interface INibbleBlocks
    {
        /// <summary>Bytes per 32-block in the row.</summary>
        static abstract int Stride { get; }
        /// <summary>The scales of the 8 blocks from block k (its scale byte es) on.</summary>
        static abstract Vector256<float> Scales8(byte* k, byte* es);
        /// <summary>Block k's scale (its scale byte es).</summary>
        static abstract float Scale(byte* k, byte* es);
        /// <summary>Block blk's 8 lanes against 32 codes, each weight looked up as E2M1 x 2 + 12.</summary>
        static abstract Vector256<float> Lanes(byte* blk, sbyte* q, in Consts z);
    }

    /// <summary>GGUF MXFP4: 17-byte blocks, the e8m0 scale (2^(e-128) for the doubled values) first, then low nibbles = values 0-15, high = 16-31.</summary>
    private readonly struct MxBlocks : INibbleBlocks
    {
        public static int Stride => 17;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Scales8(byte* k, byte* es) => E8M0x8(MxScales(k));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* k, byte* es) => GgmlNonLinearBlocks.Mxfp4Scale(k[0]);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Lanes(byte* blk, sbyte* q, in Consts z) => MxLanes(blk, q, z);
    }

    /// <summary>Official FP4: 16-byte blocks of packed nibbles (element 2j low, 2j + 1 high), e8m0 scales apart (Fp8E8M0.Decode / 2; 255 is NaN).</summary>
    private readonly struct Fp4Blocks : INibbleBlocks
    {
        public static int Stride => 16;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Scales8(byte* k, byte* es) => Fp4Scales(es);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* k, byte* es) => Int8Tile.HalfE8M0(es[0]);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Lanes(byte* blk, sbyte* q, in Consts z) => Fp4Lanes(blk, q, z);
    }

    // Prefetch distance: one core's hardware prefetcher alone leaves ~15% of the read bandwidth unused on a
    // row-after-row stream (a C twin of this loop over a head-sized Q8_0 matrix on 2 MB pages: ~26 GB/s
    // without, ~29 with); lines 4 KB ahead of the step's blocks are asked for early.
    private const int PrefetchAhead = 4096;

    // The lines PrefetchAhead past the step's first block (an 8-block step is 272 bytes of Q8_0, 136 of MXFP4).
    // A prefetch never faults, so reading past the matrix's end is harmless.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Ahead(byte* k, int lines)
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < lines; i++) Sse.Prefetch0(k + PrefetchAhead + 64 * i);
    }

    /// <summary>
    /// Word ones (pair sums to int32), the FP4 book (E2M1 x 2 + 12, twice), MXFP4's upper-half nibble shift,
    /// F16Table and FP4's per-qword nibble offsets (vpmultishiftqb).
    /// </summary>
    private readonly record struct Consts(Vector256<short> Ones, Vector256<byte> Book, Vector256<ushort> UpperNibbles, nint F16, Vector256<byte> NibbleShifts)
    {
        // Made once per call and passed down: left inside the inlined helpers, the JIT stopped hoisting
        // them once the loops grew (a broadcast load per block, measurably slower).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Consts Make() => new(Vector256.Create((short)1),
            Vector256.Create((byte)12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0, 12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0),
            Vector256.Create((ushort)0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4), (nint)F16Table.Values,
            Vector256.Create((byte)0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28));
    }

    // A Q8_0 block's scale times its activation scale in every lane: the f16 looked up in F16Table (a load
    // and a broadcast multiply; the table's lines for a matrix's few scale exponents stay in L1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8Scale(byte* blk, float* sx, float* f16) =>
        Vector256.Create(f16[Unsafe.ReadUnaligned<ushort>(blk)]) * Vector256.Create(*sx);

    // An official FP4 block's 8 lanes as floats, its nibbles looked up in element order as E2M1 x 2 + 12.
    // AVX-512 VBMI: the 4 dwords widened to qwords and one vpmultishiftqb put nibble i of each dword in
    // byte i's low bits (the bits above do not matter to vpermb's repeating book); else masks, byte
    // interleaves and vpshufb.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fp4Lanes(byte* blk, sbyte* q, in Consts z)
    {
        Vector256<byte> u;
        if (Avx512Vbmi.VL.IsSupported)
        {
            Vector256<ulong> dwords = Avx2.ConvertToVector256Int64(Vector128.Load((uint*)blk)).AsUInt64();
            u = Avx512Vbmi.VL.PermuteVar32x8(z.Book, Avx512Vbmi.VL.MultiShift(z.NibbleShifts, dwords));
        }
        else
        {
            var nib = Vector128.Create((byte)0x0F);
            Vector128<byte> codes = Vector128.Load(blk);
            Vector128<byte> lo = codes & nib, hi = Vector128.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nib;
            u = Avx2.Shuffle(z.Book, Vector256.Create(Sse2.UnpackLow(lo, hi), Sse2.UnpackHigh(lo, hi)));
        }
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Vector256.Load(q)), z.Ones));
    }

    /// <summary>Fp8E8M0.Decode / 2 of 8 scale bytes: E8M0x8's 2^(e-128), and NaN for 255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Fp4Scales(byte* e)
    {
        Vector256<int> codes = Avx2.ConvertToVector256Int32(e);
        return Vector256.ConditionalSelect(Vector256.Equals(codes, Vector256.Create(0xFF)).AsSingle(), Vector256.Create(float.NaN), E8M0x8(codes));
    }

    // Block b of a tail into accumulator b mod 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(int b, Vector256<float> lanes, Vector256<float> scale, ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> a3)
    {
        switch (b & 3)
        {
            case 0: a0 = Fma.MultiplyAdd(lanes, scale, a0); break;
            case 1: a1 = Fma.MultiplyAdd(lanes, scale, a1); break;
            case 2: a2 = Fma.MultiplyAdd(lanes, scale, a2); break;
            default: a3 = Fma.MultiplyAdd(lanes, scale, a3); break;
        }
    }

    // A Q8_0 block's 8 lanes (4 products each, exact in int32) as floats: |w| times the codes with w's sign.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8Lanes(byte* blk, sbyte* q, in Consts z)
    {
        Vector256<sbyte> w = Vector256.Load((sbyte*)blk + 2);
        var p = Avx2.MultiplyAddAdjacent(Avx2.Abs(w), Avx2.Sign(Vector256.Load(q), w));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(p, z.Ones));
    }

    // An MXFP4 block's 8 lanes as floats: the low nibbles are values 0-15, the high ones 16-31, each looked
    // up as E2M1 x 2 + 12; the + 12 comes back out once per row (Mxfp4's bias).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MxLanes(byte* blk, sbyte* q, in Consts z)
    {
        var book = z.Book;
        Vector256<byte> u;
        if (Avx512Vbmi.VL.IsSupported)
        {
            // The 16 code bytes in both halves, the upper half shifted right by 4 per word: vpermb reads the
            // low 5 bits of each index and the book repeats every 16, so the bits above the nibble do not matter.
            Vector256<ushort> both = Avx2.BroadcastVector128ToVector256((ushort*)(blk + 1));
            u = Avx512Vbmi.VL.PermuteVar32x8(book, Avx512BW.VL.ShiftRightLogicalVariable(both, z.UpperNibbles).AsByte());
        }
        else
        {
            var nib = Vector128.Create((byte)0x0F);
            Vector128<byte> codes = Vector128.Load(blk + 1);
            u = Avx2.Shuffle(book, Vector256.Create(codes & nib, Vector128.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nib));
        }
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, Vector256.Load(q)), z.Ones));
    }

    // The 8 e8m0 scales of 8 MXFP4 blocks (stride 17 bytes) as 8 lanes. AVX-512 VBMI: two 64-byte loads and one byte permute.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> MxScales(byte* k)
    {
        if (!Avx512Vbmi.IsSupported) return Avx2.GatherVector256((int*)k, Vector256.Create(0, 17, 34, 51, 68, 85, 102, 119), 1) & Vector256.Create(0xFF);
        var index = Vector512.Create((byte)0, 0, 0, 0, 17, 0, 0, 0, 34, 0, 0, 0, 51, 0, 0, 0, 68, 0, 0, 0, 85, 0, 0, 0, 102, 0, 0, 0, 119, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return Avx512Vbmi.PermuteVar64x8x2(Vector512.Load(k), index, Vector512.Load(k + 64)).GetLower().AsInt32() & Vector256.Create(0xFF);
    }

    /// <summary>GgmlNonLinearBlocks.Mxfp4Scale of 8 e8m0 bytes (2^(e-128); e 0 and 1 are subnormal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> E8M0x8(Vector256<int> e) =>
        Vector256.ConditionalSelect(Vector256.LessThan(e, Vector256.Create(2)), Avx2.ShiftLeftLogicalVariable(Vector256.Create(0x00200000), e.AsUInt32()),
            (e - Vector256.Create(1)) << 23).AsSingle();

    /// <summary>(a0 + a1) + (a2 + a3) per lane, then lanes i + 4, i + 2, 0 + 1: MatMulInt8RowsReference.Reduce's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3) => SumLanes((a0 + a1) + (a2 + a3));

    /// <summary>Lanes i + 4, then i + 2, then 0 + 1: MatMulInt8RowsReference.SumLanes's order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumLanes(Vector256<float> v)
    {
        Vector128<float> s4 = v.GetLower() + v.GetUpper();
        Vector128<float> s2 = Sse.IsSupported ? s4 + Sse.MoveHighToLow(s4, s4) : s4 + Vector128.Create(s4[2], s4[3], 0, 0);   // lanes 0, 1: i + 2
        return s2.ToScalar() + s2[1];
    }
}
