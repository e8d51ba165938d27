// Which layers this process runs when the network is cut into contiguous layer ranges (pipeline
// parallel): rank r runs main layers [FirstLayer, EndLayer). The first stage also holds the
// embedding; the last holds hc_head, the final norm, the vocabulary head and the MTP blocks (and
// maps the embedding too, because the MTP block embeds the next id: only the rows looked up are read).
// Ranges are balanced by weight bytes (see PipelineSplit); every rank runs at least one layer.
namespace SharpSeek.Model.Distributed;

public sealed record PipelineStage
{
    public int Rank { get; }
    public int Ranks { get; }
    public int FirstLayer { get; }
    public int EndLayer { get; }
    /// <summary>The messages between stages (null: plan only, as inspect uses it).</summary>
    public IPipelineLink? Link { get; }

    public PipelineStage(int rank, int ranks, int firstLayer, int endLayer, IPipelineLink? link = null)
    {
        if (ranks < 1) throw new ArgumentOutOfRangeException(nameof(ranks), ranks, "the number of ranks must be >= 1");
        if ((uint)rank >= (uint)ranks) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {ranks})");
        if (firstLayer < 0 || endLayer <= firstLayer) throw new ArgumentOutOfRangeException(nameof(endLayer), $"layer range [{firstLayer}, {endLayer}) must hold at least one layer");
        if (link is not null && (link.Rank != rank || link.Ranks != ranks))
            throw new ArgumentException($"the link is rank {link.Rank} of {link.Ranks}, the stage rank {rank} of {ranks}", nameof(link));
        Rank = rank; Ranks = ranks; FirstLayer = firstLayer; EndLayer = endLayer; Link = link;
    }

    public bool IsFirst => Rank == 0;
    public bool IsLast => Rank == Ranks - 1;
    public int LayerCount => EndLayer - FirstLayer;
    public bool HoldsLayer(int layer) => layer >= FirstLayer && layer < EndLayer;

    /// <summary>The stage of <paramref name="rank"/> under <paramref name="boundaries"/> (ranks + 1 layer indices, see PipelineSplit).</summary>
    public static PipelineStage Of(int rank, IReadOnlyList<int> boundaries, IPipelineLink? link = null) =>
        new(rank, boundaries.Count - 1, boundaries[rank], boundaries[rank + 1], link);

    /// <summary>The link this network needs (throws for a plan-only stage asked to run).</summary>
    public IPipelineLink RequireLink() =>
        Link ?? throw new InvalidOperationException($"pipeline stage {Rank} of {Ranks} has no link to the other stages: it can describe its weights but not run");
}
