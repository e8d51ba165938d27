// An opt-in timing sink for one forward call: the layers call Lap(op) at the end of each numbered
// step and the profiler charges the time since the previous lap to that op kind. Laps never nest,
// so a step inside a step needs no bookkeeping. Off (null) it costs one null check per step.
namespace SharpSeek.Model.Layers;

/// <summary>The kinds of work a forward pass is charged to (`sharpseek bench --profile`).</summary>
public enum ForwardOp
{
    /// <summary>Positions, embedding lookup, workspace: everything before the first block.</summary>
    Setup,
    /// <summary>mHC pre (mix, Sinkhorn, collapse, and attn_norm / ffn_norm fused after it) and post (write-back) at both sites.</summary>
    HyperConnections,
    /// <summary>wq_a, q_norm, wq_b, per-head norm and RoPE; wkv, kv_norm; wo_a, wo_b.</summary>
    AttentionProjections,
    /// <summary>Compressor and indexer projections, pooling, indexer scoring and top-k.</summary>
    CompressorIndexer,
    /// <summary>Window append, key gathering, sink attention over the keys.</summary>
    AttentionCore,
    /// <summary>Router scores and expert choice.</summary>
    MoeGate,
    /// <summary>Routed experts.</summary>
    Experts,
    /// <summary>The shared expert.</summary>
    SharedExpert,
    /// <summary>hc_head collapse, final norm, vocabulary projection.</summary>
    Head,
}

public interface IForwardProfiler
{
    /// <summary>Marks the start of a forward call (no time is charged).</summary>
    void Start();

    /// <summary>Charges the time since the previous Start or Lap to <paramref name="op"/>.</summary>
    void Lap(ForwardOp op);
}
