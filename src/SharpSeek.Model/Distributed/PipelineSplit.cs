// THE rule that cuts a V4 network into pipeline stages: contiguous main-layer ranges, one per rank,
// chosen to minimise the largest stage's weight bytes, where the first stage also carries the
// embedding and the last the head, final norm, hc_head and MTP blocks. Every rank gets at least one
// layer (so a network of L layers runs on at most L ranks). Ties go to the earliest cut.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Distributed;

public static class PipelineSplit
{
    /// <summary>ranks + 1 layer indices: rank r runs layers [b[r], b[r+1]).</summary>
    public static int[] Boundaries(ModelConfig config, int ranks)
    {
        int layers = config.NumLayers;
        if (ranks < 1 || ranks > layers)
            throw new ArgumentOutOfRangeException(nameof(ranks), ranks, $"cannot cut {layers} layers into {ranks} pipeline stages: the ranks must be in [1, {layers}] (one layer per rank at least)");
        var (perLayer, first, last) = Bytes(config);
        var prefix = new long[layers + 1];
        for (int i = 0; i < layers; i++) prefix[i + 1] = prefix[i] + perLayer[i];
        long Cost(int rank, int a, int b) => prefix[b] - prefix[a] + (rank == 0 ? first : 0) + (rank == ranks - 1 ? last : 0);
        // best[r, e]: the smallest possible largest stage when ranks 0..r cover layers [0, e).
        var best = new long[ranks, layers + 1];
        var cut = new int[ranks, layers + 1];
        for (int e = 1; e <= layers; e++) best[0, e] = Cost(0, 0, e);
        for (int r = 1; r < ranks; r++)
            for (int e = r + 1; e <= layers; e++)
            {
                best[r, e] = long.MaxValue;
                for (int a = r; a < e; a++)
                {
                    long worst = Math.Max(best[r - 1, a], Cost(r, a, e));
                    if (worst < best[r, e]) { best[r, e] = worst; cut[r, e] = a; }
                }
            }
        var b = new int[ranks + 1];
        b[ranks] = layers;
        for (int r = ranks - 1; r >= 1; r--) b[r] = cut[r, b[r + 1]];
        return b;
    }

    /// <summary>The stage of <paramref name="link"/>'s rank.</summary>
    public static PipelineStage For(ModelConfig config, IPipelineLink link) => PipelineStage.Of(link.Rank, Boundaries(config, link.Ranks), link);

    /// <summary>Weight bytes of each main layer, of the embedding (first stage) and of everything the last stage adds.</summary>
    public static (long[] PerLayer, long First, long Last) Bytes(ModelConfig config)
    {
        var perLayer = new long[config.NumLayers];
        long first = 0, last = 0;
        foreach (WeightSpec s in DeepSeekV4<float>.WeightMap(config))
        {
            if (s.Name.StartsWith("layers.", StringComparison.Ordinal))
                perLayer[int.Parse(s.Name.AsSpan(7, s.Name.IndexOf('.', 7) - 7), System.Globalization.CultureInfo.InvariantCulture)] += s.Bytes;
            else if (s.Name.StartsWith("embed.", StringComparison.Ordinal)) first += s.Bytes;
            else last += s.Bytes;
        }
        return (perLayer, first, last);
    }
}
