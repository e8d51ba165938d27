// Which routed experts this process holds when the experts of every MoE layer are sharded across
// ranks (expert parallel): rank r maps the contiguous expert ids [First, First + Count). All routed
// experts of a layer have one shape and one format, so equal counts are equal bytes; contiguous
// ranges make each rank's outputs one contiguous block of the expert-ordered exchange buffer.
namespace SharpSeek.Model.Distributed;

public sealed record ExpertShard
{
    public int Rank { get; }
    public int Ranks { get; }
    /// <summary>The collective that shares expert outputs between the ranks (null: plan only, as inspect uses it).</summary>
    public IExpertExchange? Exchange { get; }

    public ExpertShard(int rank, int ranks, IExpertExchange? exchange = null)
    {
        if (ranks < 1) throw new ArgumentOutOfRangeException(nameof(ranks), ranks, "the number of ranks must be >= 1");
        if ((uint)rank >= (uint)ranks) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {ranks})");
        if (exchange is not null && (exchange.Rank != rank || exchange.Ranks != ranks))
            throw new ArgumentException($"the exchange is rank {exchange.Rank} of {exchange.Ranks}, the shard rank {rank} of {ranks}", nameof(exchange));
        Rank = rank; Ranks = ranks; Exchange = exchange;
    }

    /// <summary>A shard for the rank the exchange belongs to.</summary>
    public static ExpertShard For(IExpertExchange exchange) => new(exchange.Rank, exchange.Ranks, exchange);

    /// <summary>The first expert id of rank <paramref name="rank"/> among <paramref name="experts"/> (the first <c>experts % ranks</c> ranks hold one more).</summary>
    public int FirstOf(int rank, int experts) => rank * (experts / Ranks) + Math.Min(rank, experts % Ranks);

    /// <summary>How many experts rank <paramref name="rank"/> holds.</summary>
    public int CountOf(int rank, int experts) => experts / Ranks + (rank < experts % Ranks ? 1 : 0);

    public bool Owns(int expert, int experts)
    {
        int first = FirstOf(Rank, experts);
        return expert >= first && expert < first + CountOf(Rank, experts);
    }

    /// <summary>Checks the model can be split this way (every rank at least one expert).</summary>
    public void Validate(int experts)
    {
        if (experts < Ranks)
            throw new ArgumentException($"cannot shard {experts} routed experts over {Ranks} ranks: every rank needs at least one expert");
    }
}
