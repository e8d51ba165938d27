// The bookkeeping of the one-layer-ahead expert prediction: per block, how many distinct experts were
// predicted, how many the router then chose, and how many of those were predicted (hits); and the
// bytes advised ahead (predictions, next blocks' dense weights) and just in time (chosen, not predicted).
namespace SharpSeek.Model.Weights.ReadAhead;

public sealed class ReadAheadStats(int blocks)
{
    private readonly long[] _predicted = new long[blocks], _chosen = new long[blocks], _hits = new long[blocks];

    public int Blocks => blocks;

    /// <summary>Distinct experts predicted for the block, summed over forward calls.</summary>
    public long PredictedOf(int block) => _predicted[block];

    /// <summary>Distinct experts the block's router chose (of calls that had a prediction).</summary>
    public long ChosenOf(int block) => _chosen[block];

    /// <summary>Chosen experts that had been predicted.</summary>
    public long HitsOf(int block) => _hits[block];

    public long Predicted => _predicted.Sum();
    public long Chosen => _chosen.Sum();
    public long Hits => _hits.Sum();

    /// <summary>Hits / chosen over the given blocks (NaN when none chose anything).</summary>
    public double HitRate(IEnumerable<int> ofBlocks)
    {
        long h = 0, n = 0;
        foreach (int b in ofBlocks) { h += _hits[b]; n += _chosen[b]; }
        return n == 0 ? double.NaN : (double)h / n;
    }

    /// <summary>Bytes advised before they were needed / when the router had chosen them.</summary>
    public long AheadBytes { get; private set; }
    public long JustInTimeBytes { get; private set; }

    /// <summary>One routed call of <paramref name="block"/> against its prediction.</summary>
    public void Record(int block, int predicted, int chosen, int hits)
    {
        if (hits > chosen || hits > predicted || predicted < 0) throw new ArgumentException($"block {block}: {hits} hits of {chosen} chosen and {predicted} predicted");
        _predicted[block] += predicted; _chosen[block] += chosen; _hits[block] += hits;
    }

    /// <summary>Starts counting afresh (e.g. the decode phase after a prefill).</summary>
    public void Reset()
    {
        Array.Clear(_predicted); Array.Clear(_chosen); Array.Clear(_hits);
        AheadBytes = 0; JustInTimeBytes = 0;
    }

    public void AddAhead(long bytes) => AheadBytes += bytes;
    public void AddJustInTime(long bytes) => JustInTimeBytes += bytes;
}
