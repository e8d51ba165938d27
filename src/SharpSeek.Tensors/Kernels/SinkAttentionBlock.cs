// Sink attention of a block of query tokens over one shared set of keys (V4 is multi-query: every
// head of every token reads the same KV rows), each token seeing its own subset through a mask.
// float32: two register-tiled products per (token, group of TileKernel.Rows heads) on the worker
// team: S = Q K^T over the keys transposed once per call (each key decoded once per tile of heads;
// one token's heads: S^T = K Q^T in 16 x 16 tiles over the keys as stored), the masked softmax with
// the sink (exps 16 lanes at a time, ExpF32), then O = P K over the keys as stored. Only the keys a
// token sees are multiplied: score tiles start at its next seen key, value chains skip its unseen runs
// (p = 0 adds nothing). Every value is summed as the scalar twin Reference/SinkAttentionBlockReference
// sums it, so the two agree bit for bit; other precisions run the twin.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Kernels;

public static unsafe class SinkAttentionBlock
{
    /// <summary>Multiply-adds below which a block stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 18;

    /// <summary>Keys rounded up to whole column tiles: the row stride of the transposed keys and of the scores.</summary>
    public static int PaddedKeys(int n) => (n + TileKernel.Cols - 1) / TileKernel.Cols * TileKernel.Cols;

    /// <summary>Scratch values Attend needs for <paramref name="queries"/> tokens x <paramref name="g"/> heads, n keys of width d.</summary>
    public static int ScratchSize(int queries, int g, int n, int d) => PaddedKeys(n) * (d + queries * g) + (d + PaddedKeys(n)) * TileKernel.Cols;

    /// <summary>
    /// q [tq, G, D] (G = sinks.Length), keys [n, D], visible [tq, n] (non-zero: token t attends key i),
    /// destination [tq, G, D]. For token t and head h, over the keys it sees, in key order:
    /// <code>
    /// s_i   = scale * fma-chain_d(q_th[d] k_i[d])
    /// m     = max_i s_i;   denom = sum_i exp(s_i - m) + exp(sink_h - m)
    /// o_th  = fma-chain_i(p_i k_i) over ALL keys, p_i = exp(s_i - m) / denom when seen, 0 when not
    /// </code>
    /// A token that sees no key gets o = 0. scratch holds at least ScratchSize values; nothing is allocated.
    /// destination may be q itself: a token's heads are read before they are written, and by nothing else.
    /// </summary>
    public static void Attend<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> keys, int d, ReadOnlySpan<byte> visible, T scale, ReadOnlySpan<T> sinks, Span<T> scratch, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = sinks.Length;
        if (g == 0 || d <= 0) throw new ArgumentException($"sink attention block: {g} heads of width {d}");
        if (q.Length % (g * d) != 0) throw new ArgumentException($"sink attention block: {q.Length} query values are not tokens of {g} heads x {d}");
        if (keys.Length % d != 0) throw new ArgumentException($"sink attention block: {keys.Length} key values are not rows of {d}");
        int tq = q.Length / (g * d), n = keys.Length / d;
        if (visible.Length != (long)tq * n) throw new ArgumentException($"sink attention block: mask holds {visible.Length} values for {tq} tokens x {n} keys");
        if (destination.Length < (long)tq * g * d) throw new ArgumentException($"sink attention block: destination holds {destination.Length} values, need {tq} x {g} x {d}");
        if (typeof(T) != typeof(float) || n == 0)
        {
            SinkAttentionBlockReference.Attend(q, keys, d, visible, scale, sinks, destination);
            return;
        }
        if (scratch.Length < ScratchSize(tq, g, n, d)) throw new ArgumentException($"sink attention block: scratch holds {scratch.Length} values, need {ScratchSize(tq, g, n, d)}");
        fixed (T* pq = q, pk = keys, ps = sinks, pw = scratch, po = destination)
        fixed (byte* pv = visible)
            AttendF32((float*)pq, (float*)pk, pv, float.CreateTruncating(scale), (float*)ps, g, tq, n, d, (float*)pw, (float*)po);
    }

    private struct Job
    {
        public float* Q, Keys, Kt, QT, ST, S, O, Sinks;
        public byte* Visible;
        public float Scale;
        public int G, N, NPad, D, Groups;
        public bool ScoresDone;
    }

    private static Job NewJob(float* q, float* keys, byte* visible, float scale, float* sinks, int g, int tq, int n, int d, float* scratch, float* o)
    {
        int nPad = PaddedKeys(n), rowsQ = tq * g;
        float* kt = scratch, s = scratch + (long)nPad * d, qT = s + (long)rowsQ * nPad, sT = qT + (long)d * TileKernel.Cols;
        int groups = (g + TileKernel.Rows - 1) / TileKernel.Rows;
        return new Job { Q = q, Keys = keys, Kt = kt, QT = qT, ST = sT, S = s, O = o, Sinks = sinks, Visible = visible, Scale = scale, G = g, N = n, NPad = nPad, D = d, Groups = groups };
    }

    private static void AttendF32(float* q, float* keys, byte* visible, float scale, float* sinks, int g, int tq, int n, int d, float* scratch, float* o)
    {
        Job job = NewJob(q, keys, visible, scale, sinks, g, tq, n, d, scratch, o);
        bool team = (long)tq * g * n * d * 2 >= ParallelWork;
        // 1. the keys laid out for the scores (K^T, or S^T itself for a few query rows)
        Layout(&job, tq * g, team);
        // 2. per (token, head group): S = Q K^T (unless 1 made it), masked softmax with the sink, O = P K   [tq, G, D]
        int items = tq * job.Groups;
        if (team && items > 1) WorkerTeam.Shared.Run(items, &job, &Item);
        else for (int i = 0; i < items; i++) Item(&job, i);
    }

    private static void Layout(Job* job, int rowsQ, bool team)
    {
        int cols = TileKernel.Cols, n = job->N, d = job->D, nPad = job->NPad;
        float* q = job->Q, qT = job->QT, sT = job->ST, s = job->S;
        if (rowsQ <= cols)
        {
            // 1'. few query rows (decode): S^T = K Q^T over the keys as stored (Q^T [D, qc], zero past
            //     tq G), then S [tq G, nPad]: the same fma chains as Q K^T without transposing the keys.
            //     Up to 16 query rows (one token's heads) take 16-key x 16-column tiles, else Rows x Cols
            int qc = QueryColumns(rowsQ);
            for (int c = 0; c < d; c++)
                for (int r = 0; r < qc; r++) qT[c * qc + r] = r < rowsQ ? q[(long)r * d + c] : 0f;
            int keyRows = qc == 16 ? 16 : TileKernel.Rows, keyTiles = (n + keyRows - 1) / keyRows;
            delegate*<void*, int, void> body = qc == 16 ? &KeyRowsTile16 : &KeyRowsTile;
            if (team && keyTiles > 1 && n >= 64) WorkerTeam.Shared.Run(keyTiles, job, body);
            else for (int i = 0; i < keyTiles; i++) body(job, i);
            for (int r = 0; r < rowsQ; r++)
            {
                float* sr = s + (long)r * nPad;
                for (int i = 0; i < n; i++) sr[i] = sT[(long)i * qc + r];
            }
            job->ScoresDone = true;
        }
        else
        {
            // 1. K^T [D, nPad]: key columns, zero past n; one item per tile of Cols keys, on the team
            //    for a block of tokens (for one or two, as in decode, a second region costs more than it saves)  [D, nPad]
            int tiles = nPad / cols, tq = rowsQ / job->G;
            if (team && tq >= 4 && tiles > 1) WorkerTeam.Shared.Run(tiles, job, &TransposeTile);
            else for (int i = 0; i < tiles; i++) TransposeTile(job, i);
        }
    }

    /// <summary>Columns of Q^T (and rows of S^T) for <paramref name="rowsQ"/> query rows: 16 with AVX-512 when they fit, else Cols.</summary>
    private static int QueryColumns(int rowsQ) => rowsQ <= 16 && Vector512.IsHardwareAccelerated ? 16 : TileKernel.Cols;

    /// <summary>Keys [tile Rows, (tile + 1) Rows) of S^T = K Q^T (Cols query rows).</summary>
    private static void KeyRowsTile(void* state, int tile)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int i0 = tile * TileKernel.Rows, rows = Math.Min(TileKernel.Rows, j.N - i0);
        TileKernel.Run(j.Keys + (long)i0 * j.D, j.D, j.QT, TileKernel.Cols, j.ST + (long)i0 * TileKernel.Cols, TileKernel.Cols, rows, TileKernel.Cols, j.D, accumulate: false);
    }

    /// <summary>
    /// Keys [16 tile, 16 tile + 16) of S^T = K Q^T with Q^T [D, 16]: one vector of Q^T per step times each
    /// key's value (16 accumulators), every value the fma chain over d in order, as TileKernel sums it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KeyRowsTile16(void* state, int tile)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int i0 = tile * 16, rows = Math.Min(16, j.N - i0), d = j.D;
        float* k = j.Keys + (long)i0 * d, b = j.QT, c = j.ST + (long)i0 * 16;
        // rows past the end repeat the first key; their sums are not stored
        float* k0 = k, k1 = rows > 1 ? k + d : k, k2 = rows > 2 ? k + 2 * d : k, k3 = rows > 3 ? k + 3 * d : k;
        float* k4 = rows > 4 ? k + 4 * d : k, k5 = rows > 5 ? k + 5 * d : k, k6 = rows > 6 ? k + 6 * d : k, k7 = rows > 7 ? k + 7 * d : k;
        float* k8 = rows > 8 ? k + 8 * d : k, k9 = rows > 9 ? k + 9 * d : k, k10 = rows > 10 ? k + 10 * d : k, k11 = rows > 11 ? k + 11 * d : k;
        float* k12 = rows > 12 ? k + 12 * d : k, k13 = rows > 13 ? k + 13 * d : k, k14 = rows > 14 ? k + 14 * d : k, k15 = rows > 15 ? k + 15 * d : k;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        for (int p = 0; p < d; p++)
        {
            Vector512<float> bp = Vector512.Load(b + p * 16);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(k0[p]), bp, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(k1[p]), bp, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(k2[p]), bp, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(k3[p]), bp, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(k4[p]), bp, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(k5[p]), bp, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(k6[p]), bp, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(k7[p]), bp, c7);
            c8 = Vector512.FusedMultiplyAdd(Vector512.Create(k8[p]), bp, c8);
            c9 = Vector512.FusedMultiplyAdd(Vector512.Create(k9[p]), bp, c9);
            c10 = Vector512.FusedMultiplyAdd(Vector512.Create(k10[p]), bp, c10);
            c11 = Vector512.FusedMultiplyAdd(Vector512.Create(k11[p]), bp, c11);
            c12 = Vector512.FusedMultiplyAdd(Vector512.Create(k12[p]), bp, c12);
            c13 = Vector512.FusedMultiplyAdd(Vector512.Create(k13[p]), bp, c13);
            c14 = Vector512.FusedMultiplyAdd(Vector512.Create(k14[p]), bp, c14);
            c15 = Vector512.FusedMultiplyAdd(Vector512.Create(k15[p]), bp, c15);
        }
        c0.Store(c);
        if (rows > 1) c1.Store(c + 16);
        if (rows > 2) c2.Store(c + 32);
        if (rows > 3) c3.Store(c + 48);
        if (rows > 4) c4.Store(c + 64);
        if (rows > 5) c5.Store(c + 80);
        if (rows > 6) c6.Store(c + 96);
        if (rows > 7) c7.Store(c + 112);
        if (rows > 8) c8.Store(c + 128);
        if (rows > 9) c9.Store(c + 144);
        if (rows > 10) c10.Store(c + 160);
        if (rows > 11) c11.Store(c + 176);
        if (rows > 12) c12.Store(c + 192);
        if (rows > 13) c13.Store(c + 208);
        if (rows > 14) c14.Store(c + 224);
        if (rows > 15) c15.Store(c + 240);
    }

    /// <summary>
    /// Key tile [tile Cols, (tile + 1) Cols) of K^T: kt[c, r] = keys[r, c], zero for r past n. Whole 16 x 16
    /// blocks go through registers (Transpose16), the rest value by value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeTile(void* state, int tile)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int r0 = tile * TileKernel.Cols, r1 = Math.Min(j.N, r0 + TileKernel.Cols), d = j.D;
        long ld = j.NPad;
        int rv = r0, cv = 0;
        if (Avx512F.IsSupported)
        {
            cv = d & ~15;
            for (; rv + 16 <= r1; rv += 16)
                for (int c = 0; c < cv; c += 16) Transpose16(j.Keys + (long)rv * d + c, d, j.Kt + c * ld + rv, ld);
        }
        // the keys past the 16 x 16 blocks (all columns), then the columns past them of the blocks' keys
        for (int r = rv; r < r1; r++)
            for (int c = 0; c < d; c++) j.Kt[c * ld + r] = j.Keys[(long)r * d + c];
        for (int r = r0; r < rv; r++)
            for (int c = cv; c < d; c++) j.Kt[c * ld + r] = j.Keys[(long)r * d + c];
        if (r1 < r0 + TileKernel.Cols)
            for (int c = 0; c < d; c++) new Span<float>(j.Kt + c * ld + r1, r0 + TileKernel.Cols - r1).Clear();
    }

    /// <summary>dst[c, r] = src[r, c] for a 16 x 16 block (rows at strides ls and ld): unpacks and lane shuffles in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose16(float* src, long ls, float* dst, long ld)
    {
        Vector512<float> r0 = Vector512.Load(src), r1 = Vector512.Load(src + ls), r2 = Vector512.Load(src + 2 * ls), r3 = Vector512.Load(src + 3 * ls);
        Vector512<float> r4 = Vector512.Load(src + 4 * ls), r5 = Vector512.Load(src + 5 * ls), r6 = Vector512.Load(src + 6 * ls), r7 = Vector512.Load(src + 7 * ls);
        Vector512<float> r8 = Vector512.Load(src + 8 * ls), r9 = Vector512.Load(src + 9 * ls), r10 = Vector512.Load(src + 10 * ls), r11 = Vector512.Load(src + 11 * ls);
        Vector512<float> r12 = Vector512.Load(src + 12 * ls), r13 = Vector512.Load(src + 13 * ls), r14 = Vector512.Load(src + 14 * ls), r15 = Vector512.Load(src + 15 * ls);
        // 1. pairs of rows interleaved per 32-bit element
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        // 2. quads: 64-bit interleaves
        r0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(); r1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        r2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(); r3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        r4 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle(); r5 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        r6 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle(); r7 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        r8 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle(); r9 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        r10 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle(); r11 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        r12 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle(); r13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        r14 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle(); r15 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();
        // 3. 128-bit lanes: even and odd lanes of row groups 0-3 / 4-7 (and 8-11 / 12-15)
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        // 4. the two halves of the block: output rows (columns of src) 0-7 and 8-15
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(dst); Avx512F.Shuffle4x128(t1, t9, 0x88).Store(dst + ld);
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(dst + 2 * ld); Avx512F.Shuffle4x128(t3, t11, 0x88).Store(dst + 3 * ld);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(dst + 4 * ld); Avx512F.Shuffle4x128(t5, t13, 0x88).Store(dst + 5 * ld);
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(dst + 6 * ld); Avx512F.Shuffle4x128(t7, t15, 0x88).Store(dst + 7 * ld);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(dst + 8 * ld); Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(dst + 9 * ld);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(dst + 10 * ld); Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(dst + 11 * ld);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(dst + 12 * ld); Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(dst + 13 * ld);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(dst + 14 * ld); Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(dst + 15 * ld);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Item(void* state, int item)
    {
        Scores(state, item);
        Probabilities(state, item);
        Values(state, item);
    }

    /// <summary>
    /// a. Raw dots of the item's heads with the keys its token sees  [rows, nPad]: Cols-wide tiles, each starting
    /// at the next seen key not yet covered (a window band costs its own width, not the aligned tiles it
    /// straddles); a tile may overlap the previous one or the zero padding, and unseen keys are never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(void* state, int item)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        if (j.ScoresDone) return;
        int t = item / j.Groups, h0 = item % j.Groups * TileKernel.Rows, rows = Math.Min(TileKernel.Rows, j.G - h0);
        int n = j.N, nPad = j.NPad, d = j.D, cols = TileKernel.Cols;
        float* qt = j.Q + ((long)t * j.G + h0) * d, st = j.S + ((long)t * j.G + h0) * nPad;
        var seen = new ReadOnlySpan<byte>(j.Visible + (long)t * n, n);
        for (int c = NextSeen(seen, 0); c < n;)
        {
            int c0 = Math.Min(c, nPad - cols);
            TileKernel.Run(qt, d, j.Kt + c0, nPad, st + c0, nPad, rows, cols, d, accumulate: false);
            c = NextSeen(seen, c0 + cols);
        }
    }

    /// <summary>The first key at or after <paramref name="from"/> that is seen, or seen.Length.</summary>
    private static int NextSeen(ReadOnlySpan<byte> seen, int from)
    {
        if (from >= seen.Length) return seen.Length;
        int i = seen[from..].IndexOfAnyExcept((byte)0);
        return i < 0 ? seen.Length : from + i;
    }

    /// <summary>b. Per head: p_i = exp(s_i - m) / denom over the seen keys, 0 elsewhere  [rows, n]</summary>
    private static void Probabilities(void* state, int item)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int t = item / j.Groups, h0 = item % j.Groups * TileKernel.Rows, rows = Math.Min(TileKernel.Rows, j.G - h0);
        Softmax(j.S + ((long)t * j.G + h0) * j.NPad, j.NPad, rows, j.Visible + (long)t * j.N, j.N, j.Scale, j.Sinks + h0);
    }

    /// <summary>Unseen keys between two seen ones below which a run of the value product is not split.</summary>
    private const int RunGap = 4;

    /// <summary>
    /// c. o = P K over the runs of keys the token sees, column tiles of the output  [rows, D]. Unseen keys
    /// have p = 0 and fma(0, k, acc) = acc, so leaving them out of a chain (C stored, then reloaded for the
    /// next run) changes no value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Values(void* state, int item)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int t = item / j.Groups, h0 = item % j.Groups * TileKernel.Rows, rows = Math.Min(TileKernel.Rows, j.G - h0);
        int n = j.N, nPad = j.NPad, d = j.D, cols = TileKernel.Cols;
        float* st = j.S + ((long)t * j.G + h0) * nPad, ot = j.O + ((long)t * j.G + h0) * d;
        var seen = new ReadOnlySpan<byte>(j.Visible + (long)t * n, n);
        bool first = true;
        for (int i0 = NextSeen(seen, 0); i0 < n;)
        {
            // the run [i0, i1): seen keys with gaps of fewer than RunGap unseen ones; next = the seen key after it
            int i1, next;
            for (int from = i0; ; from = next)
            {
                int gap = seen[from..].IndexOf((byte)0);
                i1 = gap < 0 ? n : from + gap;
                next = NextSeen(seen, i1);
                if (next >= n || next - i1 >= RunGap) break;
            }
            for (int c = 0; c < d; c += cols)
                TileKernel.Run(st + i0, nPad, j.Keys + (long)i0 * d + c, d, ot + c, d, rows, Math.Min(cols, d - c), i1 - i0, accumulate: !first);
            first = false;
            i0 = next;
        }
        if (first)
            for (int r = 0; r < rows; r++) new Span<float>(ot + (long)r * d, d).Clear();
    }

    /// <summary>
    /// In place over rows s[r, 0..n) (stride ld) of heads that share one mask: scale, then the sink softmax
    /// over the seen keys (others 0), the twin's formula. Max, exps (ExpF32, the twin's ExpF32Reference lane
    /// by lane) and divisions are vectorised; each row's sum runs in key order, the rows' chains interleaved.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Softmax(float* s, int ld, int rows, byte* seen, int n, float scale, float* sinks)
    {
        Span<float> max = stackalloc float[rows], sum = stackalloc float[rows];
        bool vector = Avx512F.IsSupported;
        int nv = vector ? n & ~15 : 0;
        for (int r = 0; r < rows; r++)
        {
            // 1. s = scale s, m = max over the seen keys (-inf when none)
            float* sr = s + (long)r * ld;
            float m = float.NegativeInfinity;
            if (vector)
            {
                var vs = Vector512.Create(scale);
                var vm = Vector512.Create(float.NegativeInfinity);
                for (int i = 0; i < nv; i += 16)
                {
                    var v = Vector512.Load(sr + i) * vs;
                    v.Store(sr + i);
                    vm = Vector512.ConditionalSelect(Seen16(seen + i) & Vector512.GreaterThan(v, vm), v, vm);
                }
                for (int l = 0; l < 16; l++) if (vm[l] > m) m = vm[l];
            }
            for (int i = nv; i < n; i++)
            {
                sr[i] *= scale;
                if (seen[i] != 0 && sr[i] > m) m = sr[i];
            }
            max[r] = m;
            if (float.IsNegativeInfinity(m)) { new Span<float>(sr, n).Clear(); continue; }
            // 2. p = exp(s - m) where seen, else 0
            if (vector)
            {
                var vm = Vector512.Create(m);
                for (int i = 0; i < nv; i += 16)
                    Vector512.ConditionalSelect(Seen16(seen + i), ExpF32.Exp(Vector512.Load(sr + i) - vm), Vector512<float>.Zero).Store(sr + i);
            }
            for (int i = nv; i < n; i++) sr[i] = seen[i] != 0 ? ExpF32Reference.Exp(sr[i] - m) : 0f;
        }
        // 3. sum_i p_i in key order (adding a 0 changes nothing), the rows' chains side by side
        sum.Clear();
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rows; r++) sum[r] += s[(long)r * ld + i];
        // 4. p / (sum + exp(sink - m))
        for (int r = 0; r < rows; r++)
        {
            if (float.IsNegativeInfinity(max[r])) continue;
            float* sr = s + (long)r * ld;
            float denom = sum[r] + ExpF32Reference.Exp(sinks[r] - max[r]);
            int i = 0;
            if (vector)
            {
                var vd = Vector512.Create(denom);
                for (; i < nv; i += 16) (Vector512.Load(sr + i) / vd).Store(sr + i);
            }
            for (; i < n; i++) sr[i] /= denom;
        }
    }

    /// <summary>All-ones lanes where seen[i] != 0 for the 16 keys from <paramref name="seen"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Seen16(byte* seen)
        => Vector512.GreaterThan(Avx512F.ConvertToVector512Int32(Vector128.Load(seen)), Vector512<int>.Zero).AsSingle();

    /// <summary>
    /// `SharpSeek.Bench --attention`: Attend's steps run one after another on this thread (the key layout,
    /// then scores, probabilities and values over all items), each timed by <paramref name="time"/>.
    /// </summary>
    internal static List<(string Step, double Ms)> StepTimes(float[] q, float[] keys, int d, byte[] visible, float scale, float[] sinks, float[] scratch, float[] o, Func<Action, double> time)
    {
        int g = sinks.Length, tq = q.Length / (g * d), n = keys.Length / d;
        var result = new List<(string, double)>();
        fixed (float* pq = q, pk = keys, ps = sinks, pw = scratch, po = o)
        fixed (byte* pv = visible)
        {
            Job job = NewJob(pq, pk, pv, scale, ps, g, tq, n, d, pw, po);
            Job* pj = &job;
            result.Add((job.ScoresDone || tq * g <= TileKernel.Cols ? "scores S^T = K Q^T" : "keys K^T", time(() => Layout(pj, tq * g, team: false))));
            int items = tq * job.Groups;
            result.Add(("scores Q K^T", time(() => { for (int i = 0; i < items; i++) Scores(pj, i); })));
            result.Add(("sink softmax", time(() => { for (int i = 0; i < items; i++) Probabilities(pj, i); })));
            result.Add(("values P K", time(() => { for (int i = 0; i < items; i++) Values(pj, i); })));
        }
        return result;
    }
}
