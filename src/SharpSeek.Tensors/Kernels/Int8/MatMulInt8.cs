// y[T, out] = x[T, in] · W^T with int8 activations for weights whose values are integers times a
// block scale (official E2M1 experts, GGUF MXFP4 and Q8_0): x is quantised once per product
// (ActivationInt8: int8 per 32 with a float scale), every tile of 16 output rows is packed once
// (Int8Tile: 16 rows per vector), and two tiles (32 rows) are multiplied together against 4 tokens at
// a time (8 zmm accumulators; Q8_0: one tile against 8 tokens): per 4 columns one unsigned x signed byte
// multiply-add per tile and token (vpmaddubsw, the weight vector loaded once for 4 tokens, the token's 4
// codes broadcast once for both tiles), pairs to int32 (vpmaddwd), and one float FMA per block:
// y += float(isum) * (sw * sx).
// FP4: doubled E2M1 values + 12 as bytes (|pair| <= 24 x 127 x 2, so four steps sum exactly in int16),
// the +12 offset removed with the activation block's code sum. Q8_0: |w| times the activation code with
// w's sign, taken per byte from the codes or their negations (negated once per product; on AVX-512 the
// tile holds |w| and the sign mask apart); |pair| <= 128 x 127 x 2, so each step is widened to int32 at once.
// This runtime exposes no VNNI (vpdpbusd) on AVX-512 machines without AVX10/AVX-VNNI, hence
// vpmaddubsw + vpmaddwd. The integer sums and the per-block FMA order equal MatMulInt8Reference bit
// for bit (AVX-512BW, AVX2 and the scalar path alike), so a token's row is the same in any batch.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Kernels.Int8;

public static unsafe class MatMulInt8
{
    /// <summary>Tokens from which the int8 path is taken: packing a tile costs about what a few tokens' products do (bench/README.md).</summary>
    public const int MinTokens = 16;
    private const int TileRows = Int8Tile.Rows;
    /// <summary>Multiply-adds below which the product stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 19;
    /// <summary>Bytes of packed tiles multiplied together against each token block (with the block's codes: within L2).</summary>
    private const int PanelBytes = 128 * 1024;
    /// <summary>Tokens per block (a multiple of the 4-token group).</summary>
    private const int TokenBlock = 64;

    /// <summary>Whether this product runs here: the weight asks for int8 activations, its format has integer codes, and enough tokens.</summary>
    public static bool Handles(WeightMatrix w, int tokens) =>
        w.Activations == ActivationPath.Int8 && tokens >= MinTokens && w.Cols % 32 == 0 && Int8Tile.Handles(w);

    /// <summary>y[t, o] = sum_b float(sum_{i in b} w2[o, i] q[t, i]) * sw[o, b] * sx[t, b], accumulated over blocks b in order.</summary>
    public static void Forward(float* x, WeightMatrix w, float* y, int tokens) => Forward(x, tokens, w, y, null, null);

    /// <summary>Whether two products on one input can share its quantisation and one region (Forward with both): same columns and code kind.</summary>
    public static bool CanShare(WeightMatrix a, WeightMatrix b, int tokens) =>
        Handles(a, tokens) && Handles(b, tokens) && a.Cols == b.Cols && Int8Tile.Signed(a) == Int8Tile.Signed(b);

    /// <summary>
    /// ya = x · a^T and, when b is given, yb = x · b^T (an expert's w1 and w3; CanShare): the input quantised once,
    /// both products' tiles in one parallel region. Each y equals its own single product bit for bit.
    /// </summary>
    public static void Forward(float* x, int tokens, WeightMatrix a, float* ya, WeightMatrix? b, float* yb)
    {
        int n = a.Cols, blocks = n / 32;
        if (!Int8Tile.Handles(a) || n % 32 != 0) throw new NotSupportedException($"{a.Name}: no int8-activation product for {a.Format}");
        if (b is not null && !(Int8Tile.Handles(b) && b.Cols == n && Int8Tile.Signed(b) == Int8Tile.Signed(a)))
            throw new ArgumentException($"{b.Name}: [{b.Rows}, {b.Cols}] {b.Format} cannot share the quantised input of {a.Name} [{a.Rows}, {n}] {a.Format}");
        int rows = a.Rows + (b?.Rows ?? 0);
        if (tokens <= 0 || rows == 0) return;
        // 1. activations [T, n] -> int8 codes, scales and code sums per 32, once for every row
        long qBytes = (long)tokens * n, blk = (long)tokens * blocks;
        bool signed = Int8Tile.Signed(a);
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)(qBytes * (signed ? 2 : 1) + 8 * blk));
        try
        {
            fixed (byte* buf = rented)
            {
                sbyte* q = (sbyte*)buf;
                float* sx = (float*)(buf + qBytes);
                int* sums = (int*)(buf + qBytes + 4 * blk);
                sbyte* qn = signed ? (sbyte*)(buf + qBytes + 8 * blk) : null;   // Q8_0: the codes with either sign, chosen per weight
                var quant = new QuantizeJob { X = x, Q = q, Qn = qn, Sx = sx, Sums = sums, N = n, Tokens = tokens };
                int cores = Environment.ProcessorCount;
                if (qBytes < ParallelQuantize || cores == 1 || tokens < 2) QuantizeRows(Unsafe.AsPointer(ref quant), 0);
                else
                {
                    quant.Per = (tokens + 2 * cores - 1) / (2 * cores);
                    WorkerTeam.Shared.Run((tokens + quant.Per - 1) / quant.Per, Unsafe.AsPointer(ref quant), &QuantizeRows);   // quant lives on this frame until Run returns
                }
                // 2. tiles of 16 rows, in pairs, of a then b, split across the worker team for large products
                int tilesA = (a.Rows + TileRows - 1) / TileRows, tilesB = b is null ? 0 : (b.Rows + TileRows - 1) / TileRows;
                var job = new Job { Q = q, Qn = qn, Sx = sx, Sums = sums, A = a, YA = ya, TilesA = tilesA, B = b, YB = yb, TilesB = tilesB, Tokens = tokens };
                if ((long)rows * n * tokens < ParallelWork || cores == 1 || tilesA + tilesB < 2)
                {
                    RunTiles(ref job, a, ya, 0, tilesA);
                    if (b is not null) RunTiles(ref job, b, yb, 0, tilesB);
                    return;
                }
                int chunks = Math.Min(tilesA + tilesB, cores * 4);
                job.Per = (tilesA + tilesB + chunks - 1) / chunks + 1 & ~1;   // whole tile pairs
                job.ChunksA = (tilesA + job.Per - 1) / job.Per;
                chunks = job.ChunksA + (tilesB + job.Per - 1) / job.Per;
                WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &RunChunk);   // job lives on this frame until Run returns
            }
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>Activation values from which the quantisation is spread over the worker team (by token rows; each block is independent).</summary>
    private const long ParallelQuantize = 1L << 18;

    private struct QuantizeJob
    {
        public float* X, Sx;
        public sbyte* Q, Qn;
        public int* Sums;
        public int N, Tokens, Per;
    }

    /// <summary>Token rows [c Per, (c + 1) Per) quantised (all rows when Per is 0), and negated for Q8_0.</summary>
    private static void QuantizeRows(void* state, int c)
    {
        ref QuantizeJob j = ref Unsafe.AsRef<QuantizeJob>(state);
        int t0 = c * j.Per, t1 = j.Per == 0 ? j.Tokens : Math.Min(j.Tokens, t0 + j.Per), blocks = j.N / 32;
        long at = (long)t0 * j.N;
        ActivationInt8.Quantize(j.X + at, t1 - t0, j.N, j.Q + at, j.Sx + (long)t0 * blocks, j.Sums + (long)t0 * blocks);
        if (j.Qn != null) Negate(j.Q + at, j.Qn + at, (long)(t1 - t0) * j.N);
    }

    /// <summary>qn[i] = -q[i] (codes are within ±127, so no overflow).</summary>
    private static void Negate(sbyte* q, sbyte* qn, long count)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 64 <= count; i += 64) (-Vector512.Load(q + i)).Store(qn + i);
        for (; i < count; i++) qn[i] = (sbyte)-q[i];
    }

    private struct Job
    {
        public sbyte* Q, Qn;
        public float* Sx, YA, YB;
        public int* Sums;
        public WeightMatrix A;
        public WeightMatrix? B;
        public int Tokens, TilesA, TilesB, Per, ChunksA;
    }

    /// <summary>Chunk c of the region: Per tiles of a (the first ChunksA chunks), then of b.</summary>
    private static void RunChunk(void* state, int c)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        if (c < j.ChunksA) RunTiles(ref j, j.A, j.YA, c * j.Per, Math.Min(j.TilesA, (c + 1) * j.Per));
        else RunTiles(ref j, j.B!, j.YB, (c - j.ChunksA) * j.Per, Math.Min(j.TilesB, (c - j.ChunksA + 1) * j.Per));
    }

    /// <summary>Tiles [t0, t1) of w against every token into y.</summary>
    private static void RunTiles(ref Job j, WeightMatrix w, float* y, int t0, int t1)
    {
        int n = w.Cols, m = w.Rows;
        bool signed = Int8Tile.Signed(w), split = signed && Avx512BW.IsSupported;   // AVX-512 Q8_0: |w| and sign masks packed apart
        int codeBytes = Int8Tile.CodeBytes(n), signBytes = split ? codeBytes : 0, tileBytes = codeBytes + signBytes + 4 * Int8Tile.ScaleFloats(n);
        // Tiles packed a panel at a time (at most PanelBytes, an even count), then token blocks of TokenBlock
        // against the panel, two tiles (32 rows) at a time: packed weights and a block's codes stay in L2.
        int panel = Math.Clamp(PanelBytes / tileBytes & ~1, 2, Math.Max(2, t1 - t0));
        byte[] rented = ArrayPool<byte>.Shared.Rent(codeBytes + panel * tileBytes);   // nothing allocated once the pool holds it
        try
        {
            fixed (byte* buf = rented)
            {
                byte* rowBuf = buf, tiles = buf + codeBytes;
                for (int p0 = t0; p0 < t1; p0 += panel)
                {
                    int p1 = Math.Min(t1, p0 + panel);
                    for (int t = p0; t < p1; t++)
                    {
                        byte* tile = tiles + (long)(t - p0) * tileBytes;
                        Int8Tile.Pack(w, t * TileRows, rowBuf, (uint*)tile, (float*)(tile + codeBytes + signBytes));
                        if (split) Int8Tile.SplitSigns((sbyte*)tile, (sbyte*)(tile + codeBytes), codeBytes);
                    }
                    for (int k0 = 0; k0 < j.Tokens; k0 += TokenBlock)
                        for (int t = p0; t < p1; t += 2)
                        {
                            // the second tile of a pair (the first again past the panel's end: its sums are not stored)
                            byte* a = tiles + (long)(t - p0) * tileBytes, b = t + 1 < p1 ? a + tileBytes : a;
                            int o0 = t * TileRows;
                            var pair = new TilePair((uint*)a, (float*)(a + codeBytes + signBytes), (uint*)b, (float*)(b + codeBytes + signBytes), n / 32, signBytes / 4);
                            Tiles(signed, pair, j.Q, j.Qn, j.Sx, j.Sums, n, k0, Math.Min(j.Tokens, k0 + TokenBlock), y, m, o0, Math.Min(t + 1 < p1 ? 2 * TileRows : TileRows, m - o0));
                        }
                }
            }
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>Two packed tiles (codes and scales of 16 rows each) multiplied together: 32 output rows.</summary>
    private readonly struct TilePair(uint* codes0, float* scales0, uint* codes1, float* scales1, int blocks, int signOffset)
    {
        /// <summary>Dwords from a tile's codes to its sign masks (AVX-512 Q8_0; 0 otherwise).</summary>
        public readonly int SignOffset = signOffset;
        public readonly uint* Codes0 = codes0, Codes1 = codes1;
        public readonly float* Scales0 = scales0, Scales1 = scales1;
        public readonly int Blocks = blocks;
    }

    /// <summary>A tile pair against tokens [k0, k1), four at a time (a short last group repeats its last token; the repeats are not stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tiles(bool signed, in TilePair p, sbyte* q, sbyte* qn, float* sx, int* sums, int n, int k0, int k1, float* y, int m, int o0, int valid)
    {
        float* outs = stackalloc float[8 * 2 * TileRows];   // [token][32 rows]
        if (signed && Avx512BW.IsSupported)
        {
            // Q8_0: 8 tokens x 16 rows per kernel call (the weights' |w| and sign prepared once for 8 tokens)
            int* ts = stackalloc int[8];
            for (int t = k0; t < k1; t += 8)
            {
                int nt = Math.Min(8, k1 - t);
                for (int k = 0; k < 8; k++) ts[k] = t + Math.Min(k, nt - 1);
                SignedAvx512x8(p.Codes0, p.SignOffset, p.Scales0, p.Blocks, q, qn, sx, n, ts, outs);
                if (valid > TileRows) SignedAvx512x8(p.Codes1, p.SignOffset, p.Scales1, p.Blocks, q, qn, sx, n, ts, outs + TileRows);
                for (int k = 0; k < nt; k++)
                    new ReadOnlySpan<float>(outs + k * 2 * TileRows, valid).CopyTo(new Span<float>(y + (long)(t + k) * m + o0, valid));
            }
            return;
        }
        for (int t = k0; t < k1; t += 4)
        {
            int nt = Math.Min(4, k1 - t);
            int u1 = t + Math.Min(1, nt - 1), u2 = t + Math.Min(2, nt - 1), u3 = t + Math.Min(3, nt - 1);
            if (Avx512BW.IsSupported) Tokens4Avx512(p, q, sx, sums, n, t, u1, u2, u3, outs);   // FP4 (Q8_0 took the 8-token loop above)
            else
                for (int h = 0; h < 2; h++)
                {
                    uint* codes = h == 0 ? p.Codes0 : p.Codes1;
                    float* scales = h == 0 ? p.Scales0 : p.Scales1;
                    if (Avx2.IsSupported) Tokens4Avx2(signed, codes, scales, p.Blocks, q, sx, sums, n, t, u1, u2, u3, outs + h * TileRows);
                    else Tokens4Scalar(signed, codes, scales, p.Blocks, q, sx, sums, n, t, u1, u2, u3, outs + h * TileRows);
                }
            for (int k = 0; k < nt; k++)
                new ReadOnlySpan<float>(outs + k * 2 * TileRows, valid).CopyTo(new Span<float>(y + (long)(t + k) * m + o0, valid));
        }
    }

    /// <summary>
    /// FP4 (biased codes): 4 tokens x 32 rows. Per block and half (4 steps of 4 columns) one vpmaddubsw per
    /// (token, tile) and step summed in int16 (exact: |pair| <= 6,096), widened once per half; the +12 offset
    /// removed with the block's code sum; then one FMA per (token, tile).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tokens4Avx512(in TilePair p, sbyte* q, float* sx, int* sums, int n, int t0, int t1, int t2, int t3, float* outs)
    {
        int blocks = p.Blocks;
        sbyte* q0 = q + (long)t0 * n, q1 = q + (long)t1 * n, q2 = q + (long)t2 * n, q3 = q + (long)t3 * n;
        long b0 = (long)t0 * blocks, b1 = (long)t1 * blocks, b2 = (long)t2 * blocks, b3 = (long)t3 * blocks;
        Vector512<short> ones = Vector512.Create((short)1);
        Vector512<float> y00 = default, y01 = default, y10 = default, y11 = default, y20 = default, y21 = default, y30 = default, y31 = default;
        uint* c0 = p.Codes0, c1 = p.Codes1;
        for (int b = 0; b < blocks; b++, c0 += 8 * TileRows, c1 += 8 * TileRows)
        {
            int col = 32 * b;
            Vector512<int> i00 = Vector512.Create(-Int8Tile.Offset * sums[b0 + b]), i10 = Vector512.Create(-Int8Tile.Offset * sums[b1 + b]);
            Vector512<int> i20 = Vector512.Create(-Int8Tile.Offset * sums[b2 + b]), i30 = Vector512.Create(-Int8Tile.Offset * sums[b3 + b]);
            Vector512<int> i01 = i00, i11 = i10, i21 = i20, i31 = i30;
            for (int half = 0; half < 8; half += 4)
            {
                // step `half`, then the other three added in int16
                Vector512<byte> w0 = Vector512.Load(c0 + half * TileRows).AsByte(), w1 = Vector512.Load(c1 + half * TileRows).AsByte();
                Vector512<sbyte> x = Vector512.Create(*(int*)(q0 + col + 4 * half)).AsSByte();
                Vector512<short> a00 = Avx512BW.MultiplyAddAdjacent(w0, x), a01 = Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(*(int*)(q1 + col + 4 * half)).AsSByte();
                Vector512<short> a10 = Avx512BW.MultiplyAddAdjacent(w0, x), a11 = Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(*(int*)(q2 + col + 4 * half)).AsSByte();
                Vector512<short> a20 = Avx512BW.MultiplyAddAdjacent(w0, x), a21 = Avx512BW.MultiplyAddAdjacent(w1, x);
                x = Vector512.Create(*(int*)(q3 + col + 4 * half)).AsSByte();
                Vector512<short> a30 = Avx512BW.MultiplyAddAdjacent(w0, x), a31 = Avx512BW.MultiplyAddAdjacent(w1, x);
                for (int j = half + 1; j < half + 4; j++)
                {
                    w0 = Vector512.Load(c0 + j * TileRows).AsByte(); w1 = Vector512.Load(c1 + j * TileRows).AsByte();
                    x = Vector512.Create(*(int*)(q0 + col + 4 * j)).AsSByte();
                    a00 += Avx512BW.MultiplyAddAdjacent(w0, x); a01 += Avx512BW.MultiplyAddAdjacent(w1, x);
                    x = Vector512.Create(*(int*)(q1 + col + 4 * j)).AsSByte();
                    a10 += Avx512BW.MultiplyAddAdjacent(w0, x); a11 += Avx512BW.MultiplyAddAdjacent(w1, x);
                    x = Vector512.Create(*(int*)(q2 + col + 4 * j)).AsSByte();
                    a20 += Avx512BW.MultiplyAddAdjacent(w0, x); a21 += Avx512BW.MultiplyAddAdjacent(w1, x);
                    x = Vector512.Create(*(int*)(q3 + col + 4 * j)).AsSByte();
                    a30 += Avx512BW.MultiplyAddAdjacent(w0, x); a31 += Avx512BW.MultiplyAddAdjacent(w1, x);
                }
                i00 += Avx512BW.MultiplyAddAdjacent(a00, ones); i01 += Avx512BW.MultiplyAddAdjacent(a01, ones);
                i10 += Avx512BW.MultiplyAddAdjacent(a10, ones); i11 += Avx512BW.MultiplyAddAdjacent(a11, ones);
                i20 += Avx512BW.MultiplyAddAdjacent(a20, ones); i21 += Avx512BW.MultiplyAddAdjacent(a21, ones);
                i30 += Avx512BW.MultiplyAddAdjacent(a30, ones); i31 += Avx512BW.MultiplyAddAdjacent(a31, ones);
            }
            Vector512<float> s0 = Vector512.Load(p.Scales0 + b * TileRows), s1 = Vector512.Load(p.Scales1 + b * TileRows);
            y00 = Scale(i00, s0, sx[b0 + b], y00); y01 = Scale(i01, s1, sx[b0 + b], y01);
            y10 = Scale(i10, s0, sx[b1 + b], y10); y11 = Scale(i11, s1, sx[b1 + b], y11);
            y20 = Scale(i20, s0, sx[b2 + b], y20); y21 = Scale(i21, s1, sx[b2 + b], y21);
            y30 = Scale(i30, s0, sx[b3 + b], y30); y31 = Scale(i31, s1, sx[b3 + b], y31);
        }
        y00.Store(outs); y01.Store(outs + TileRows); y10.Store(outs + 2 * TileRows); y11.Store(outs + 3 * TileRows);
        y20.Store(outs + 4 * TileRows); y21.Store(outs + 5 * TileRows); y30.Store(outs + 6 * TileRows); y31.Store(outs + 7 * TileRows);
    }

    /// <summary>
    /// Q8_0 codes: 8 tokens x 16 rows (one tile; |w| and w's sign packed apart, Int8Tile.SplitSigns). |w| (unsigned)
    /// times the activation code with w's sign, chosen per byte between the codes and their negations (qn),
    /// every step widened to int32; no offset. outs [token][32].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SignedAvx512x8(uint* codes, int signOffset, float* scales, int blocks, sbyte* q, sbyte* qn, float* sx, int n, int* ts, float* outs)
    {
        long r0 = (long)ts[0] * n, r1 = (long)ts[1] * n, r2 = (long)ts[2] * n, r3 = (long)ts[3] * n;
        long r4 = (long)ts[4] * n, r5 = (long)ts[5] * n, r6 = (long)ts[6] * n, r7 = (long)ts[7] * n;
        Vector512<short> ones = Vector512.Create((short)1);
        Vector512<float> y0 = default, y1 = default, y2 = default, y3 = default, y4 = default, y5 = default, y6 = default, y7 = default;
        for (int b = 0; b < blocks; b++, codes += 8 * TileRows)
        {
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default, i4 = default, i5 = default, i6 = default, i7 = default;
            for (int j = 0; j < 8; j++)
            {
                Vector512<byte> a = Vector512.Load(codes + j * TileRows).AsByte();   // |w| (|-128| = 0x80 = 128 as unsigned)
                Vector512<sbyte> ng = Vector512.Load(codes + signOffset + j * TileRows).AsSByte();   // -1 where w < 0
                long col = 32 * b + 4 * j;
                i0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r0 + col)).AsSByte(), Vector512.Create(*(int*)(q + r0 + col)).AsSByte())), ones);
                i1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r1 + col)).AsSByte(), Vector512.Create(*(int*)(q + r1 + col)).AsSByte())), ones);
                i2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r2 + col)).AsSByte(), Vector512.Create(*(int*)(q + r2 + col)).AsSByte())), ones);
                i3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r3 + col)).AsSByte(), Vector512.Create(*(int*)(q + r3 + col)).AsSByte())), ones);
                i4 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r4 + col)).AsSByte(), Vector512.Create(*(int*)(q + r4 + col)).AsSByte())), ones);
                i5 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r5 + col)).AsSByte(), Vector512.Create(*(int*)(q + r5 + col)).AsSByte())), ones);
                i6 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r6 + col)).AsSByte(), Vector512.Create(*(int*)(q + r6 + col)).AsSByte())), ones);
                i7 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(a, Vector512.ConditionalSelect(ng, Vector512.Create(*(int*)(qn + r7 + col)).AsSByte(), Vector512.Create(*(int*)(q + r7 + col)).AsSByte())), ones);
            }
            Vector512<float> sw = Vector512.Load(scales + b * TileRows);
            y0 = Scale(i0, sw, sx[(long)ts[0] * blocks + b], y0); y1 = Scale(i1, sw, sx[(long)ts[1] * blocks + b], y1);
            y2 = Scale(i2, sw, sx[(long)ts[2] * blocks + b], y2); y3 = Scale(i3, sw, sx[(long)ts[3] * blocks + b], y3);
            y4 = Scale(i4, sw, sx[(long)ts[4] * blocks + b], y4); y5 = Scale(i5, sw, sx[(long)ts[5] * blocks + b], y5);
            y6 = Scale(i6, sw, sx[(long)ts[6] * blocks + b], y6); y7 = Scale(i7, sw, sx[(long)ts[7] * blocks + b], y7);
        }
        int st = 2 * TileRows;
        y0.Store(outs); y1.Store(outs + st); y2.Store(outs + 2 * st); y3.Store(outs + 3 * st);
        y4.Store(outs + 4 * st); y5.Store(outs + 5 * st); y6.Store(outs + 6 * st); y7.Store(outs + 7 * st);
    }

    /// <summary>One block's float step of a (token, 16-row) accumulator: y += float(isum) * (sw * sx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scale(Vector512<int> isum, Vector512<float> sw, float sx, Vector512<float> y) =>
        Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(isum), sw * Vector512.Create(sx), y);

    /// <summary>
    /// The AVX2 form of Tokens4Avx512 (FP4) and SignedAvx512x8 (Q8_0): the 16 rows as two halves of 8, token by
    /// token, the same integer steps and the same FMA order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tokens4Avx2(bool signed, uint* codes, float* scales, int blocks, sbyte* q, float* sx, int* sums, int n, int t0, int t1, int t2, int t3, float* outs)
    {
        Span<int> ts = [t0, t1, t2, t3];
        Vector256<short> ones = Vector256.Create((short)1);
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++)
            {
                sbyte* qt = q + (long)ts[k] * n;
                long bt = (long)ts[k] * blocks;
                Vector256<float> acc = default;
                for (int b = 0; b < blocks; b++)
                {
                    uint* cb = codes + b * 8 * TileRows + 8 * h;
                    sbyte* qb = qt + 32 * b;
                    Vector256<int> i;
                    if (signed)
                    {
                        i = default;
                        for (int j = 0; j < 8; j++)
                        {
                            Vector256<sbyte> wv = Vector256.Load(cb + j * TileRows).AsSByte();
                            i += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.Abs(wv).AsByte(), Avx2.Sign(Vector256.Create(*(int*)(qb + 4 * j)).AsSByte(), wv)), ones);
                        }
                    }
                    else
                    {
                        i = Vector256.Create(-Int8Tile.Offset * sums[bt + b]);
                        for (int half = 0; half < 8; half += 4)
                        {
                            Vector256<short> a = default;
                            for (int j = half; j < half + 4; j++)
                                a += Avx2.MultiplyAddAdjacent(Vector256.Load(cb + j * TileRows).AsByte(), Vector256.Create(*(int*)(qb + 4 * j)).AsSByte());
                            i += Avx2.MultiplyAddAdjacent(a, ones);
                        }
                    }
                    acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i), Vector256.Load(scales + b * TileRows + 8 * h) * Vector256.Create(sx[bt + b]), acc);
                }
                acc.Store(outs + k * 2 * TileRows + 8 * h);   // outs [token][32 rows]
            }
    }

    /// <summary>Without AVX2: the same sums one row at a time (the reference's formula on the packed tile).</summary>
    private static void Tokens4Scalar(bool signed, uint* codes, float* scales, int blocks, sbyte* q, float* sx, int* sums, int n, int t0, int t1, int t2, int t3, float* outs)
    {
        Span<int> ts = [t0, t1, t2, t3];
        for (int k = 0; k < 4; k++)
        {
            sbyte* qt = q + (long)ts[k] * n;
            long bt = (long)ts[k] * blocks;
            for (int r = 0; r < TileRows; r++)
            {
                float acc = 0;
                for (int b = 0; b < blocks; b++)
                {
                    int i = signed ? 0 : -Int8Tile.Offset * sums[bt + b];
                    for (int j = 0; j < 8; j++)
                    {
                        byte* wb = (byte*)(codes + (b * 8 + j) * TileRows + r);
                        for (int e = 0; e < 4; e++) i += (signed ? (sbyte)wb[e] : wb[e]) * qt[32 * b + 4 * j + e];
                    }
                    acc = MathF.FusedMultiplyAdd(i, scales[b * TileRows + r] * sx[bt + b], acc);
                }
                outs[k * 2 * TileRows + r] = acc;
            }
        }
    }
}
