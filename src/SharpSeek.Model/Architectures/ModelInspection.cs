// What a geometry implies, from config.json alone: layers by kind, total and active parameters,
// bytes by dtype, and the memory a sequence needs per token of context.
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Architectures;

public sealed record ModelInspection
{
    public required string Variant { get; init; }
    public required int Layers { get; init; }
    public required int WindowOnlyLayers { get; init; }
    public required int IndexedLayers { get; init; }
    public required int HeavilyCompressedLayers { get; init; }
    public required int HashLayers { get; init; }
    public required int MtpBlocks { get; init; }
    public required long TotalParams { get; init; }
    public required long ActiveParams { get; init; }
    public required long MtpParams { get; init; }
    public required long MtpActiveParams { get; init; }
    public required int Tensors { get; init; }
    public required IReadOnlyDictionary<string, long> BytesByDType { get; init; }
    /// <summary>Bytes SharpSeek stores per token of context (compressed entries + index keys), float32 engine.</summary>
    public required double KvBytesPerToken { get; init; }
    /// <summary>The same in the production format (RoPE part as BF16: 584-byte entries, 68-byte keys).</summary>
    public required double KvBytesPerTokenProduction { get; init; }
    /// <summary>Fixed bytes per sequence: window rings and compressor partial blocks.</summary>
    public required long FixedBytesPerSequence { get; init; }
    public long MemoryAtContext(long tokens) => FixedBytesPerSequence + (long)Math.Ceiling(KvBytesPerToken * tokens);

    /// <summary>
    /// Expert parallel over <paramref name="ranks"/> ranks: the weight bytes each rank maps (everything but
    /// the routed experts is replicated; each rank holds its contiguous share of every layer's experts).
    /// </summary>
    public static long[] WeightBytesPerRank(ModelConfig c, int ranks)
    {
        if (ranks < 1 || ranks > c.NumRoutedExperts)
            throw new ArgumentOutOfRangeException(nameof(ranks), ranks, $"the ranks must be in [1, {c.NumRoutedExperts}] (one routed expert per rank at least)");
        var bytes = new long[ranks];
        for (int r = 0; r < ranks; r++)
            foreach (var s in DeepSeekV4<float>.WeightMap(c, new Distributed.ExpertShard(r, ranks))) bytes[r] += s.Bytes;
        return bytes;
    }

    /// <summary>Bytes all-gathered per token per MoE layer under expert parallel: k expert rows of dim values of <paramref name="valueBytes"/>.</summary>
    public static long ExchangeBytesPerTokenPerMoeLayer(ModelConfig c, int valueBytes = sizeof(float)) => (long)c.NumActivatedExperts * c.Dim * valueBytes;

    public static ModelInspection Of(ModelConfig c)
    {
        IReadOnlyList<WeightSpec> specs = DeepSeekV4<float>.WeightMap(c);
        long total = 0, routed = 0, mtp = 0, mtpRouted = 0;
        var bytes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in specs)
        {
            bytes[s.DType.SafetensorsName()] = bytes.GetValueOrDefault(s.DType.SafetensorsName()) + s.Bytes;
            if (s.Name.EndsWith(".scale", StringComparison.Ordinal)) continue;
            long p = s.DType == DType.I8 ? s.Elements * 2 : s.Elements;
            bool isMtp = s.Name.StartsWith("mtp.", StringComparison.Ordinal);
            bool isRouted = s.Name.Contains(".ffn.experts.", StringComparison.Ordinal);
            if (isMtp) { mtp += p; if (isRouted) mtpRouted += p; continue; }
            total += p;
            if (isRouted) routed += p;
        }
        // As DeepSeek counts them: the main model (embedding and head included), MTP separately.
        long active = total - routed + routed * c.NumActivatedExperts / c.NumRoutedExperts;
        long mtpActive = mtp - mtpRouted + mtpRouted * c.NumActivatedExperts / c.NumRoutedExperts;

        double perToken = 0, perTokenProd = 0;
        long fixedBytes = 0;
        var probe = new SequenceState<float>(c, maxRollback: 16);
        for (int i = 0; i < c.NumLayers; i++)
        {
            var st = probe.Layers[i];
            int r = st.Ratio;
            int entryProd = c.NopeHeadDim + c.NopeHeadDim / 64 + 2 * c.RopeHeadDim + 1;
            fixedBytes += st.FixedBytes;
            if (!st.Plan.HasCompressed) continue;
            perToken += (double)st.EntryBytes / r;
            perTokenProd += (double)(entryProd + st.IndexKeyBytes) / r;
        }
        foreach (var m in probe.Mtp) fixedBytes += m.BytesAllocated;

        string variant = (c.NumLayers, c.Dim) switch
        {
            (43, 4096) => "DeepSeek-V4-Flash geometry",
            (61, 7168) => "DeepSeek-V4-Pro geometry",
            _ => $"custom V4 geometry ({c.NumLayers} layers, dim {c.Dim})",
        };
        return new ModelInspection
        {
            Variant = variant,
            Layers = c.NumLayers,
            WindowOnlyLayers = Enumerable.Range(0, c.NumLayers).Count(i => c.AttentionKindOf(i) == AttentionKind.Window),
            IndexedLayers = Enumerable.Range(0, c.NumLayers).Count(i => c.AttentionKindOf(i) == AttentionKind.Indexed),
            HeavilyCompressedLayers = Enumerable.Range(0, c.NumLayers).Count(i => c.AttentionKindOf(i) == AttentionKind.Compressed),
            HashLayers = c.NumHashLayers,
            MtpBlocks = c.NumMtpLayers,
            TotalParams = total,
            ActiveParams = active,
            MtpParams = mtp,
            MtpActiveParams = mtpActive,
            Tensors = specs.Count,
            BytesByDType = bytes,
            KvBytesPerToken = perToken,
            KvBytesPerTokenProduction = perTokenProd,
            FixedBytesPerSequence = fixedBytes,
        };
    }
}
