// What a V4.1 geometry implies, from its config alone: layer roles, parameters (main, DSpark, vision
// and the Engram tables apart), bytes by dtype with the Engram tables separate from what is resident,
// and the sequence memory per token of context, in the official cache formats and as SharpSeek holds it now.
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Architectures;

public sealed record V41Inspection
{
    public required string Variant { get; init; }
    public required int Layers { get; init; }
    public required int WindowOnlyLayers { get; init; }
    /// <summary>Compressed layers per ratio.</summary>
    public required IReadOnlyDictionary<int, int> CompressedLayersByRatio { get; init; }
    public required IReadOnlyList<int> KvSources { get; init; }
    public required IReadOnlyList<int> IndexSources { get; init; }
    public required IReadOnlyList<int> EngramLayers { get; init; }
    public required long TotalParams { get; init; }
    public required long ActiveParams { get; init; }
    public required long DSparkParams { get; init; }
    public required long VisionParams { get; init; }
    public required long EngramTableRows { get; init; }
    /// <summary>Engram table values read per token (rows x head_dim over all Engram layers).</summary>
    public required long EngramValuesPerToken { get; init; }
    public required int Tensors { get; init; }
    public required IReadOnlyDictionary<string, long> BytesByDType { get; init; }
    /// <summary>The Engram tables and their scales: memory-mapped, read by row, not resident.</summary>
    public required long EngramTableBytes { get; init; }
    /// <summary>Every other weight byte (resident when the model runs).</summary>
    public required long ResidentWeightBytes { get; init; }
    /// <summary>Per token of context in the official cache formats: FP4/16-E4M3 compressed KV and FP4/32-ue8m0 index keys of the KV sources.</summary>
    public required double KvBytesPerToken { get; init; }
    /// <summary>Per sequence, fixed: FP8 window rings (ue8m0 per 32) of every layer and the compressor's partial groups.</summary>
    public required long FixedBytesPerSequence { get; init; }
    /// <summary>Per token as SharpSeek holds it: the official compressed KV and key bytes plus the Engram history id and index-key publisher (window and pre-pooling rows are bounded by window + max rollback).</summary>
    public required double EngineBytesPerToken { get; init; }
    public long MemoryAtContext(long tokens) => FixedBytesPerSequence + (long)Math.Ceiling(KvBytesPerToken * tokens);

    public static V41Inspection Of(V41Config c)
    {
        var b = c.Base;
        IReadOnlyList<WeightSpec> specs = DeepSeekV41<float>.WeightMap(c);
        long total = 0, routed = 0, dspark = 0, vision = 0, engramRows = 0, engramBytes = 0, all = 0;
        var bytes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in specs)
        {
            bytes[s.DType.SafetensorsName()] = bytes.GetValueOrDefault(s.DType.SafetensorsName()) + s.Bytes;
            all += s.Bytes;
            bool engram = s.Name.Contains(".engram.embed.", StringComparison.Ordinal);
            if (engram) engramBytes += s.Bytes;
            if (s.Name.EndsWith(".scale", StringComparison.Ordinal)) continue;
            long p = s.DType == DType.I8 ? s.Elements * 2 : s.Elements;
            if (engram) { engramRows += s.Shape[0]; continue; }
            if (s.Name.StartsWith("mtp.", StringComparison.Ordinal)) { dspark += p; continue; }
            if (s.Name.StartsWith("vision.", StringComparison.Ordinal) || s.Name.StartsWith("aligner.", StringComparison.Ordinal) || s.Name.StartsWith("image_", StringComparison.Ordinal)) { vision += p; continue; }
            total += p;
            if (s.Name.Contains(".ffn.experts.", StringComparison.Ordinal)) routed += p;
        }
        long active = total - routed + routed * b.NumActivatedExperts / b.NumRoutedExperts;
        long engramPerToken = (long)c.Engram.LayerIds.Count * c.Engram.HashColumns * c.Engram.HeadDim;

        // official formats: compressed KV head_dim/2 + head_dim/16 bytes, index keys ihd/2 + ihd/32 bytes, per group
        double perToken = 0, engine = 8;   // engine: Engram history id and index-key publisher per position
        long fixedBytes = 0;
        for (int l = 0; l < b.NumLayers + b.NumMtpLayers; l++)
        {
            fixedBytes += (long)b.WindowSize * (b.HeadDim + b.HeadDim / V41Config.Fp8Block);
            if (l >= b.NumLayers) continue;
            if (!c.IsKvSource(l)) continue;
            int r = c.Ratio(l);
            perToken += (double)State.V41.V41RowFormats.CompressedBytes(b.HeadDim) / r;
            if (c.OwnsIndexKeys(l)) perToken += (double)State.V41.V41RowFormats.KeyBytes(b.IndexHeadDim) / r;
            if (r > 1) fixedBytes += 2L * r * b.HeadDim * 4;   // kv_state / score_state of the partial group (fp32)
        }
        engine += perToken;
        var ratios = new SortedDictionary<int, int>();
        for (int l = 0; l < b.NumLayers; l++) if (c.Ratio(l) > 0) ratios[c.Ratio(l)] = ratios.GetValueOrDefault(c.Ratio(l)) + 1;
        return new V41Inspection
        {
            Variant = $"DeepSeek V4.1 geometry ({b.NumLayers} layers, dim {b.Dim}, {c.Engram.LayerIds.Count} Engram layers)",
            Layers = b.NumLayers,
            WindowOnlyLayers = Enumerable.Range(0, b.NumLayers).Count(l => c.Ratio(l) == 0),
            CompressedLayersByRatio = ratios,
            KvSources = c.KvSourceLayers,
            IndexSources = c.IndexSourceLayers,
            EngramLayers = c.Engram.LayerIds,
            TotalParams = total,
            ActiveParams = active,
            DSparkParams = dspark,
            VisionParams = vision,
            EngramTableRows = engramRows,
            EngramValuesPerToken = engramPerToken,
            Tensors = specs.Count,
            BytesByDType = bytes,
            EngramTableBytes = engramBytes,
            ResidentWeightBytes = all - engramBytes,
            KvBytesPerToken = perToken,
            FixedBytesPerSequence = fixedBytes,
            EngineBytesPerToken = engine,
        };
    }
}
