// The BPE merge loop: repeatedly merge the adjacent pair with the lowest rank, leftmost first (the
// order HF's heap of (rank, position) gives). Short words use an in-place scan; long words use a
// priority queue over a linked list of symbols, so cost stays O(n log n).
namespace SharpSeek.Tokenization.Bpe;

internal static class BpeMerger
{
    private const int ScanLimit = 40;

    /// <summary>Merges <paramref name="ids"/> in place and returns the new symbol count.</summary>
    public static int Merge(Span<int> ids, MergeTable merges)
    {
        return ids.Length <= ScanLimit ? MergeByScan(ids, merges) : MergeByHeap(ids, merges);
    }

    private static int MergeByScan(Span<int> ids, MergeTable merges)
    {
        int n = ids.Length;
        while (n > 1)
        {
            int bestRank = int.MaxValue, bestPos = -1, bestId = 0;
            for (int i = 0; i + 1 < n; i++)
            {
                if (merges.TryGet(ids[i], ids[i + 1], out int rank, out int merged) && rank < bestRank)
                {
                    bestRank = rank;
                    bestPos = i;
                    bestId = merged;
                }
            }
            if (bestPos < 0) break;
            ids[bestPos] = bestId;
            ids.Slice(bestPos + 2, n - bestPos - 2).CopyTo(ids.Slice(bestPos + 1));
            n--;
        }
        return n;
    }

    private static int MergeByHeap(Span<int> ids, MergeTable merges)
    {
        int n = ids.Length;
        var sym = ids.ToArray();
        var prev = new int[n];
        var next = new int[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        var queue = new PriorityQueue<(int Pos, int Left, int Right, int Merged), long>();
        void Push(int pos)
        {
            int nx = next[pos];
            if (pos < 0 || nx < 0) return;
            if (merges.TryGet(sym[pos], sym[nx], out int rank, out int merged))
                queue.Enqueue((pos, sym[pos], sym[nx], merged), ((long)rank << 32) | (uint)pos);
        }
        for (int i = 0; i + 1 < n; i++) Push(i);
        while (queue.TryDequeue(out var e, out _))
        {
            int pos = e.Pos, nx = next[pos];
            // Stale entry: a neighbour was merged away or changed since the pair was queued.
            if (sym[pos] != e.Left || nx < 0 || sym[nx] != e.Right) continue;
            sym[pos] = e.Merged;
            sym[nx] = -1;
            next[pos] = next[nx];
            if (next[nx] >= 0) prev[next[nx]] = pos;
            if (prev[pos] >= 0) Push(prev[pos]);
            Push(pos);
        }
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) ids[count++] = sym[i];
        return count;
    }
}
