// y[T, out] = x[T, in] · W^T with int8 activations for weights whose values are integers times a
// block scale (official E2M1 experts, GGUF MXFP4 and Q8_0): x is quantised once per product
// (ActivationInt8: int8 per 32 with a float scale), every tile of 16 output rows is packed once
// (Int8Tile: 16 rows per vector) and multiplied against 4 tokens at a time: per 4 columns one
// unsigned x signed byte multiply-add of 16 rows (vpmaddubsw), then pairs to int32 (vpmaddwd), and
// one float FMA per block: y += float(isum) * (sw * sx). FP4: doubled E2M1 values + 12 as bytes
// (|pair| <= 24 x 127 x 2, so four steps sum exactly in int16), the +12 offset removed with the
// activation block's code sum. Q8_0: |w| times the activation with w's sign (|pair| <= 128 x 127 x 2,
// each step widened to int32 at once).
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
    public static void Forward(float* x, WeightMatrix w, float* y, int tokens)
    {
        int n = w.Cols, m = w.Rows, blocks = n / 32;
        if (!Int8Tile.Handles(w) || n % 32 != 0) throw new NotSupportedException($"{w.Name}: no int8-activation product for {w.Format}");
        if (tokens <= 0 || m == 0) return;
        // 1. activations [T, n] -> int8 codes, scales and code sums per 32, once for every row
        long qBytes = (long)tokens * n, blk = (long)tokens * blocks;
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)(qBytes + 8 * blk));
        try
        {
            fixed (byte* buf = rented)
            {
                sbyte* q = (sbyte*)buf;
                float* sx = (float*)(buf + qBytes);
                int* sums = (int*)(buf + qBytes + 4 * blk);
                ActivationInt8.Quantize(x, tokens, n, q, sx, sums);
                // 2. tiles of 16 rows, split across the worker team for large products
                int tiles = (m + TileRows - 1) / TileRows;
                var job = new Job { Q = q, Sx = sx, Sums = sums, Y = y, W = w, Tokens = tokens, Tiles = tiles };
                int cores = Environment.ProcessorCount;
                if ((long)m * n * tokens < ParallelWork || cores == 1 || tiles < 2) { job.Per = tiles; RunChunk(Unsafe.AsPointer(ref job), 0); return; }
                int chunks = Math.Min(tiles, cores * 4);
                job.Per = (tiles + chunks - 1) / chunks;
                chunks = (tiles + job.Per - 1) / job.Per;
                WorkerTeam.Shared.Run(chunks, Unsafe.AsPointer(ref job), &RunChunk);   // job lives on this frame until Run returns
            }
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    private struct Job
    {
        public sbyte* Q;
        public float* Sx, Y;
        public int* Sums;
        public WeightMatrix W;
        public int Tokens, Tiles, Per;
    }

    private static void RunChunk(void* state, int c)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        WeightMatrix w = j.W;
        int n = w.Cols, m = w.Rows, t0 = c * j.Per, t1 = Math.Min(j.Tiles, t0 + j.Per);
        int codeBytes = Int8Tile.CodeBytes(n), tileBytes = codeBytes + 4 * Int8Tile.ScaleFloats(n);
        // Tiles packed a panel at a time (at most PanelBytes), then token blocks of TokenBlock against the
        // panel: packed weights and a block's activation codes stay in L2 (all tokens at once did not).
        int panel = Math.Clamp(PanelBytes / tileBytes, 1, t1 - t0);
        byte[] rented = ArrayPool<byte>.Shared.Rent(codeBytes + panel * tileBytes);   // nothing allocated once the pool holds it
        try
        {
            fixed (byte* buf = rented)
            {
                byte* rowBuf = buf, tiles = buf + codeBytes;
                bool signed = Int8Tile.Signed(w);
                for (int p0 = t0; p0 < t1; p0 += panel)
                {
                    int p1 = Math.Min(t1, p0 + panel);
                    for (int t = p0; t < p1; t++)
                    {
                        byte* tile = tiles + (long)(t - p0) * tileBytes;
                        Int8Tile.Pack(w, t * TileRows, rowBuf, (uint*)tile, (float*)(tile + codeBytes));
                    }
                    for (int k0 = 0; k0 < j.Tokens; k0 += TokenBlock)
                        for (int t = p0; t < p1; t++)
                        {
                            byte* tile = tiles + (long)(t - p0) * tileBytes;
                            int o0 = t * TileRows;
                            Tile(signed, (uint*)tile, (float*)(tile + codeBytes), n / 32, j.Q, j.Sx, j.Sums, n, k0, Math.Min(j.Tokens, k0 + TokenBlock), j.Y, m, o0, Math.Min(TileRows, m - o0));
                        }
                }
            }
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>One packed tile against tokens [k0, k1), four at a time (a short last group repeats its last token; the repeats are not stored).</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(bool signed, uint* codes, float* scales, int blocks, sbyte* q, float* sx, int* sums, int n, int k0, int k1, float* y, int m, int o0, int valid)
    {
        float* outs = stackalloc float[4 * TileRows];
        for (int t = k0; t < k1; t += 4)
        {
            int nt = Math.Min(4, k1 - t);
            int u1 = t + Math.Min(1, nt - 1), u2 = t + Math.Min(2, nt - 1), u3 = t + Math.Min(3, nt - 1);
            if (signed)
            {
                if (Avx512BW.IsSupported) SignedAvx512(codes, scales, blocks, q, sx, n, t, u1, u2, u3, outs);
                else if (Avx2.IsSupported) Tokens4Avx2(true, codes, scales, blocks, q, sx, sums, n, t, u1, u2, u3, outs);
                else Tokens4Scalar(true, codes, scales, blocks, q, sx, sums, n, t, u1, u2, u3, outs);
            }
            else if (Avx512BW.IsSupported)
                Tokens4Avx512(codes, scales, blocks, q, sx, sums, n, t, u1, u2, u3, outs);
            else if (Avx2.IsSupported)
                Tokens4Avx2(false, codes, scales, blocks, q, sx, sums, n, t, u1, u2, u3, outs);
            else
                Tokens4Scalar(false, codes, scales, blocks, q, sx, sums, n, t, u1, u2, u3, outs);
            for (int k = 0; k < nt; k++)
                new ReadOnlySpan<float>(outs + k * TileRows, valid).CopyTo(new Span<float>(y + (long)(t + k) * m + o0, valid));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tokens4Avx512(uint* codes, float* scales, int blocks, sbyte* q, float* sx, int* sums, int n, int t0, int t1, int t2, int t3, float* outs)
    {
        sbyte* q0 = q + (long)t0 * n, q1 = q + (long)t1 * n, q2 = q + (long)t2 * n, q3 = q + (long)t3 * n;
        long b0 = (long)t0 * blocks, b1 = (long)t1 * blocks, b2 = (long)t2 * blocks, b3 = (long)t3 * blocks;
        Vector512<short> ones = Vector512.Create((short)1);
        Vector512<float> y0 = default, y1 = default, y2 = default, y3 = default;
        for (int b = 0; b < blocks; b++)
        {
            uint* cb = codes + b * 8 * TileRows;
            Vector512<int> i0 = Vector512.Create(-Int8Tile.Offset * sums[b0 + b]), i1 = Vector512.Create(-Int8Tile.Offset * sums[b1 + b]);
            Vector512<int> i2 = Vector512.Create(-Int8Tile.Offset * sums[b2 + b]), i3 = Vector512.Create(-Int8Tile.Offset * sums[b3 + b]);
            for (int half = 0; half < 8; half += 4)
            {
                Vector512<short> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int j = half; j < half + 4; j++)
                {
                    Vector512<byte> wv = Vector512.Load(cb + j * TileRows).AsByte();
                    int col = 32 * b + 4 * j;
                    a0 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(*(int*)(q0 + col)).AsSByte());
                    a1 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(*(int*)(q1 + col)).AsSByte());
                    a2 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(*(int*)(q2 + col)).AsSByte());
                    a3 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(*(int*)(q3 + col)).AsSByte());
                }
                i0 += Avx512BW.MultiplyAddAdjacent(a0, ones); i1 += Avx512BW.MultiplyAddAdjacent(a1, ones);
                i2 += Avx512BW.MultiplyAddAdjacent(a2, ones); i3 += Avx512BW.MultiplyAddAdjacent(a3, ones);
            }
            Vector512<float> sw = Vector512.Load(scales + b * TileRows);
            y0 = Scale(i0, sw, sx[b0 + b], y0); y1 = Scale(i1, sw, sx[b1 + b], y1);
            y2 = Scale(i2, sw, sx[b2 + b], y2); y3 = Scale(i3, sw, sx[b3 + b], y3);
        }
        y0.Store(outs); y1.Store(outs + TileRows); y2.Store(outs + 2 * TileRows); y3.Store(outs + 3 * TileRows);
    }

    /// <summary>Q8_0 codes: |w| (unsigned) times the activation code with w's sign, every step widened to int32; no offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SignedAvx512(uint* codes, float* scales, int blocks, sbyte* q, float* sx, int n, int t0, int t1, int t2, int t3, float* outs)
    {
        sbyte* q0 = q + (long)t0 * n, q1 = q + (long)t1 * n, q2 = q + (long)t2 * n, q3 = q + (long)t3 * n;
        long b0 = (long)t0 * blocks, b1 = (long)t1 * blocks, b2 = (long)t2 * blocks, b3 = (long)t3 * blocks;
        Vector512<short> ones = Vector512.Create((short)1);
        Vector512<float> y0 = default, y1 = default, y2 = default, y3 = default;
        for (int b = 0; b < blocks; b++)
        {
            uint* cb = codes + b * 8 * TileRows;
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int j = 0; j < 8; j++)
            {
                Vector512<sbyte> wv = Vector512.Load(cb + j * TileRows).AsSByte();
                Vector512<byte> aw = Vector512.Abs(wv).AsByte();   // |-128| = 0x80 = 128 as unsigned
                Vector512<sbyte> neg = Vector512.LessThan(wv, Vector512<sbyte>.Zero);
                int col = 32 * b + 4 * j;
                Vector512<sbyte> v0 = Vector512.Create(*(int*)(q0 + col)).AsSByte(), v1 = Vector512.Create(*(int*)(q1 + col)).AsSByte();
                Vector512<sbyte> v2 = Vector512.Create(*(int*)(q2 + col)).AsSByte(), v3 = Vector512.Create(*(int*)(q3 + col)).AsSByte();
                i0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(aw, Vector512.ConditionalSelect(neg, -v0, v0)), ones);
                i1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(aw, Vector512.ConditionalSelect(neg, -v1, v1)), ones);
                i2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(aw, Vector512.ConditionalSelect(neg, -v2, v2)), ones);
                i3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(aw, Vector512.ConditionalSelect(neg, -v3, v3)), ones);
            }
            Vector512<float> sw = Vector512.Load(scales + b * TileRows);
            y0 = Scale(i0, sw, sx[b0 + b], y0); y1 = Scale(i1, sw, sx[b1 + b], y1);
            y2 = Scale(i2, sw, sx[b2 + b], y2); y3 = Scale(i3, sw, sx[b3 + b], y3);
        }
        y0.Store(outs); y1.Store(outs + TileRows); y2.Store(outs + 2 * TileRows); y3.Store(outs + 3 * TileRows);
    }

    /// <summary>One block's float step of a (token, 16-row) accumulator: y += float(isum) * (sw * sx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scale(Vector512<int> isum, Vector512<float> sw, float sx, Vector512<float> y) =>
        Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(isum), sw * Vector512.Create(sx), y);

    /// <summary>
    /// The AVX2 form of Tokens4Avx512 (FP4) and SignedAvx512 (Q8_0): the 16 rows as two halves of 8, token by
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
                acc.Store(outs + k * TileRows + 8 * h);
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
                outs[k * TileRows + r] = acc;
            }
        }
    }
}
