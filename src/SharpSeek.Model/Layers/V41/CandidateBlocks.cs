// Level one of V4.1's two-level top-k (select_candidate_blocks): over a query's indexer scores
// (unreachable positions -inf), score each block of `block` positions by its best position, always
// keep the block of the newest reachable position, keep the best `topBlocks` blocks with a finite
// score, and mark every position of a kept block.
using System.Numerics;

namespace SharpSeek.Model.Layers.V41;

public static class CandidateBlocks
{
    /// <summary>scores [W] (W = reachable compressed positions) -> keep [W].</summary>
    public static bool[] Select<T>(ReadOnlySpan<T> scores, int topBlocks, int block) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = scores.Length, blocks = (width + block - 1) / block;
        var keep = new bool[width];
        if (blocks == 0) return keep;
        // 1. block score = max over its positions; the newest block pinned to +inf          [blocks]
        var blockScore = new T[blocks];
        for (int b = 0; b < blocks; b++)
        {
            T m = T.NegativeInfinity;
            for (int j = b * block; j < Math.Min(width, (b + 1) * block); j++) m = T.Max(m, scores[j]);
            blockScore[b] = m;
        }
        blockScore[(width - 1) / block] = T.PositiveInfinity;
        // 2. the best min(topBlocks, blocks) blocks, those with a finite (or pinned) score   [k]
        int[] order = Enumerable.Range(0, blocks).OrderByDescending(b => blockScore[b]).ThenBy(b => b).Take(Math.Min(topBlocks, blocks)).ToArray();
        foreach (int b in order)
        {
            if (T.IsNegativeInfinity(blockScore[b])) continue;
            for (int j = b * block; j < Math.Min(width, (b + 1) * block); j++) keep[j] = true;
        }
        return keep;
    }
}
