// Sink attention of a block of query tokens over one shared set of keys (V4 is multi-query: every
// head of every token reads the same KV rows), each token seeing its own subset through a mask.
// float32: two register-tiled products per (token, group of TileKernel.Rows heads) on the worker
// team: S = Q K^T over the keys transposed once per call (each key decoded once per tile of heads),
// the masked softmax with the sink, then O = P K over the keys as stored. Every value is summed as
// the scalar twin Reference/SinkAttentionBlockReference sums it, so the two agree bit for bit;
// other precisions run the twin.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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

    private static void AttendF32(float* q, float* keys, byte* visible, float scale, float* sinks, int g, int tq, int n, int d, float* scratch, float* o)
    {
        int nPad = PaddedKeys(n), cols = TileKernel.Cols, rowsQ = tq * g;
        float* kt = scratch, s = scratch + (long)nPad * d, qT = s + (long)rowsQ * nPad, sT = qT + (long)d * cols;
        int groups = (g + TileKernel.Rows - 1) / TileKernel.Rows;
        var job = new Job { Q = q, Keys = keys, Kt = kt, QT = qT, ST = sT, S = s, O = o, Sinks = sinks, Visible = visible, Scale = scale, G = g, N = n, NPad = nPad, D = d, Groups = groups };
        bool team = (long)tq * g * n * d * 2 >= ParallelWork;
        if (rowsQ <= cols)
        {
            // 1'. few query rows (decode): S^T = K Q^T over the keys as stored (Q^T [D, Cols], zero past
            //     tq G), then S [tq G, nPad]: the same fma chains as Q K^T without transposing the keys
            for (int c = 0; c < d; c++)
                for (int r = 0; r < cols; r++) qT[c * cols + r] = r < rowsQ ? q[(long)r * d + c] : 0f;
            int keyTiles = (n + TileKernel.Rows - 1) / TileKernel.Rows;
            if (team && keyTiles > 1 && n >= 256) WorkerTeam.Shared.Run(keyTiles, &job, &KeyRowsTile);
            else for (int i = 0; i < keyTiles; i++) KeyRowsTile(&job, i);
            for (int r = 0; r < rowsQ; r++)
            {
                float* sr = s + (long)r * nPad;
                for (int i = 0; i < n; i++) sr[i] = sT[(long)i * cols + r];
            }
            job.ScoresDone = true;
        }
        else
        {
            // 1. K^T [D, nPad]: key columns, zero past n; one item per tile of Cols keys, on the team
            //    for a block of tokens (for one or two, as in decode, a second region costs more than it saves)  [D, nPad]
            int tiles = nPad / cols;
            if (team && tq >= 4 && tiles > 1) WorkerTeam.Shared.Run(tiles, &job, &TransposeTile);
            else for (int i = 0; i < tiles; i++) TransposeTile(&job, i);
        }
        // 2. per (token, head group): S = Q K^T (unless 1'), masked softmax with the sink, O = P K   [tq, G, D]
        int items = tq * groups;
        if (team && items > 1) WorkerTeam.Shared.Run(items, &job, &Item);
        else for (int i = 0; i < items; i++) Item(&job, i);
    }

    /// <summary>Keys [tile Rows, (tile + 1) Rows) of S^T = K Q^T (Cols query rows).</summary>
    private static void KeyRowsTile(void* state, int tile)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int i0 = tile * TileKernel.Rows, rows = Math.Min(TileKernel.Rows, j.N - i0);
        TileKernel.Run(j.Keys + (long)i0 * j.D, j.D, j.QT, TileKernel.Cols, j.ST + (long)i0 * TileKernel.Cols, TileKernel.Cols, rows, TileKernel.Cols, j.D, accumulate: false);
    }

    /// <summary>Key tile [tile Cols, (tile + 1) Cols) of K^T: kt[c, r] = keys[r, c], zero for r past n.</summary>
    private static void TransposeTile(void* state, int tile)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int r0 = tile * TileKernel.Cols, r1 = Math.Min(j.N, r0 + TileKernel.Cols), d = j.D;
        long ld = j.NPad;
        for (int c0 = 0; c0 < d; c0 += 32)
        {
            int c1 = Math.Min(d, c0 + 32);
            for (int r = r0; r < r1; r++)
            {
                float* src = j.Keys + (long)r * d;
                for (int c = c0; c < c1; c++) j.Kt[c * ld + r] = src[c];
            }
        }
        if (r1 < r0 + TileKernel.Cols)
            for (int c = 0; c < d; c++) new Span<float>(j.Kt + c * ld + r1, r0 + TileKernel.Cols - r1).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Item(void* state, int item)
    {
        ref Job j = ref Unsafe.AsRef<Job>(state);
        int t = item / j.Groups, h0 = item % j.Groups * TileKernel.Rows, rows = Math.Min(TileKernel.Rows, j.G - h0);
        int n = j.N, nPad = j.NPad, d = j.D, cols = TileKernel.Cols;
        float* qt = j.Q + ((long)t * j.G + h0) * d, st = j.S + ((long)t * j.G + h0) * nPad, ot = j.O + ((long)t * j.G + h0) * d;
        byte* seen = j.Visible + (long)t * n;
        // a. raw dots of the group's heads with every key                               [rows, nPad]
        if (!j.ScoresDone)
            for (int c = 0; c < nPad; c += cols) TileKernel.Run(qt, d, j.Kt + c, nPad, st + c, nPad, rows, cols, d, accumulate: false);
        // b. per head: p_i = exp(s_i - m) / denom over the seen keys, 0 elsewhere       [rows, n]
        for (int r = 0; r < rows; r++) Softmax(st + (long)r * nPad, seen, n, j.Scale, j.Sinks[h0 + r]);
        // c. o = P K, column tiles of the output                                        [rows, D]
        for (int c = 0; c < d; c += cols) TileKernel.Run(st, nPad, j.Keys + c, d, ot + c, d, rows, Math.Min(cols, d - c), n, accumulate: false);
    }

    /// <summary>In place over s[0, n): scale, then the sink softmax over seen keys (others 0). The twin's formula.</summary>
    private static void Softmax(float* s, byte* seen, int n, float scale, float sink)
    {
        float m = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            s[i] *= scale;
            if (seen[i] != 0 && s[i] > m) m = s[i];
        }
        if (float.IsNegativeInfinity(m)) { new Span<float>(s, n).Clear(); return; }
        float sum = 0;
        for (int i = 0; i < n; i++)
            if (seen[i] != 0) { s[i] = MathF.Exp(s[i] - m); sum += s[i]; }
            else s[i] = 0;
        float denom = sum + MathF.Exp(sink - m);
        for (int i = 0; i < n; i++) s[i] /= denom;
    }
}
