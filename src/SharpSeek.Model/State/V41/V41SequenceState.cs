// One sequence's memory for DeepSeek V4.1, outside the layers: per layer its post-RoPE FP8 window KV
// rows; per KV source its pre-pooling rows (ratio > 1), its compressed KV (FP4, E4M3 scales) and, when
// it also indexes, its index keys (FP4, ue8m0); the Engram history of compressed token ids. Every list
// is indexed by position or group, so Rollback(n) is exact: it truncates them all to the first n tokens.
// Compressed KV and index keys are held in their official byte formats; window and pre-pooling rows in T.
using System.Numerics;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Model.State.V41;

public sealed class V41SequenceState<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly V41Config _config;

    /// <summary>Tokens fed so far (the next token's position).</summary>
    public int Length { get; internal set; }

    /// <summary>[layer] window KV rows [position, head_dim].</summary>
    public RowList<T>[] Window { get; }
    /// <summary>[layer] compressor rows before pooling (kv then score, 2 x head_dim) for ratio > 1 KV sources, else null.</summary>
    public RowList<T>?[] PrePool { get; }
    /// <summary>[layer] compressed KV rows of KV sources (FP4/16 + E4M3 scales, V41RowFormats), else null.</summary>
    public CodedRows?[] Compressed { get; }
    /// <summary>[layer] index keys of KV sources that index (FP4/32 + ue8m0, V41RowFormats), else null.</summary>
    public CodedRows?[] IndexKeys { get; }
    /// <summary>Compressed token id of each position (NgramHasher.Dead for image positions).</summary>
    public List<int> EngramHistory { get; } = [];

    /// <summary>
    /// The key owner whose index keys indexers read now: the official code keeps one shared slot that a
    /// key owner overwrites only in a forward call where it completes a group, so a decode step that
    /// completes no group of an earlier owner reads the keys of the owner that published last (often a
    /// later layer, from the previous call). -1 before any. Restored exactly by Rollback.
    /// </summary>
    public int IndexKeyPublisher { get; internal set; } = -1;

    /// <summary>IndexKeyPublisher after the call that fed each position (for rollback).</summary>
    internal List<int> PublisherAfter { get; } = [];

    /// <summary>How far back Rollback may go (window and pre-pooling rows older than that are forgotten).</summary>
    public int MaxRollback { get; }

    /// <param name="maxRollback">Tokens Rollback may undo; window rows beyond window + this are not kept.</param>
    public V41SequenceState(V41Config config, int maxRollback = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRollback);
        _config = config;
        MaxRollback = maxRollback;
        var b = config.Base;
        int n = b.NumLayers;
        Window = new RowList<T>[n];
        PrePool = new RowList<T>?[n];
        Compressed = new CodedRows?[n];
        IndexKeys = new CodedRows?[n];
        for (int l = 0; l < n; l++)
        {
            Window[l] = new RowList<T>(b.HeadDim);
            if (!config.IsKvSource(l)) continue;
            if (config.Ratio(l) > 1) PrePool[l] = new RowList<T>(2 * b.HeadDim);
            Compressed[l] = new CodedRows(V41RowFormats.CompressedBytes(b.HeadDim));
            if (config.OwnsIndexKeys(l)) IndexKeys[l] = new CodedRows(V41RowFormats.KeyBytes(b.IndexHeadDim));
        }
    }

    private V41SequenceState(V41SequenceState<T> other)
    {
        _config = other._config;
        MaxRollback = other.MaxRollback;
        Length = other.Length;
        Window = other.Window.Select(w => w.Clone()).ToArray();
        PrePool = other.PrePool.Select(w => w?.Clone()).ToArray();
        Compressed = other.Compressed.Select(w => w?.Clone()).ToArray();
        IndexKeys = other.IndexKeys.Select(w => w?.Clone()).ToArray();
        EngramHistory.AddRange(other.EngramHistory);
        IndexKeyPublisher = other.IndexKeyPublisher;
        PublisherAfter.AddRange(other.PublisherAfter);
    }

    /// <summary>An independent copy: feeding both the same ids gives identical results.</summary>
    public V41SequenceState<T> Clone() => new(this);

    /// <summary>The KV source whose compressed KV layer <paramref name="layer"/> reads (the latest at or before it).</summary>
    public int KvSourceOf(int layer) => _config.KvSourceLayers.Where(l => l <= layer).DefaultIfEmpty(-1).Max();


    /// <summary>Forgets every token from <paramref name="length"/> on: the memory is then exactly that of the first <paramref name="length"/> tokens.</summary>
    public void Rollback(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"cannot roll back to {length} of {Length} tokens");
        if ((long)Length - length > MaxRollback) throw new ArgumentOutOfRangeException(nameof(length), $"rolling back {Length - length} tokens exceeds this sequence's limit of {MaxRollback}");
        for (int l = 0; l < Window.Length; l++)
        {
            Window[l].Truncate(length);
            PrePool[l]?.Truncate(length);
            int r = _config.Ratio(l);
            if (r > 0) { Compressed[l]?.Truncate(length / r); IndexKeys[l]?.Truncate(length / r); }
        }
        if (EngramHistory.Count > length) EngramHistory.RemoveRange(length, EngramHistory.Count - length);   // empty without Engram layers
        IndexKeyPublisher = length == 0 ? -1 : PublisherAfter[length - 1];
        PublisherAfter.RemoveRange(length, PublisherAfter.Count - length);
        Length = length;
    }

    /// <summary>
    /// Forgets what no later token and no allowed rollback can read: window rows before
    /// Length - MaxRollback - window + 1 and pre-pooling rows before Length - MaxRollback - ratio.
    /// </summary>
    internal void Trim()
    {
        if (MaxRollback == int.MaxValue) return;
        long floor = (long)Length - MaxRollback;
        for (int l = 0; l < Window.Length; l++)
        {
            Window[l].Forget((int)Math.Max(0, floor - _config.Base.WindowSize + 1));
            PrePool[l]?.Forget((int)Math.Max(0, floor - _config.Ratio(l)));
        }
    }

    /// <summary>Bytes held.</summary>
    public long Bytes => Window.Sum(w => w.Bytes) + PrePool.Sum(p => p?.Bytes ?? 0) + Compressed.Sum(c => c?.Bytes ?? 0) + IndexKeys.Sum(k => k?.Bytes ?? 0) + EngramHistory.Count * 4L;
}
