// Settings of one InferenceEngine, validated once at construction.
namespace SharpSeek.Runtime.Engine;

public sealed record EngineOptions
{
    /// <summary>Sequences running together (prefilling or decoding); more wait in the queue.</summary>
    public int MaxBatch { get; init; } = 16;
    /// <summary>Prompt tokens per prefill Forward (one chunk per prefilling sequence per step) unless the request sets its own.</summary>
    public int PrefillChunk { get; init; } = 256;
    /// <summary>Bytes the prefix cache may hold (0 = no prefix reuse).</summary>
    public long PrefixCacheBytes { get; init; }
    /// <summary>Shortest prompt prefix worth a snapshot.</summary>
    public int PrefixMinTokens { get; init; } = 32;
    /// <summary>
    /// Bytes running sequences and the prefix cache may hold together (0 = unbounded). Admission
    /// first evicts cached prefixes, then waits for running sequences to finish.
    /// </summary>
    public long MemoryBudgetBytes { get; init; }

    public void Validate()
    {
        if (MaxBatch < 1) throw new ArgumentException($"max batch must be >= 1 (got {MaxBatch})");
        if (PrefillChunk < 1) throw new ArgumentException($"prefill chunk must be >= 1 (got {PrefillChunk})");
        if (PrefixCacheBytes < 0) throw new ArgumentException($"prefix cache bytes must be >= 0 (got {PrefixCacheBytes})");
        if (PrefixMinTokens < 1) throw new ArgumentException($"prefix min tokens must be >= 1 (got {PrefixMinTokens})");
        if (MemoryBudgetBytes < 0) throw new ArgumentException($"memory budget must be >= 0 (got {MemoryBudgetBytes})");
    }
}
