// An opt-in timing sink for the image path (`sharpseek bench --vision --profile`): the tower, its
// blocks and the aligner call Lap(op) at the end of each numbered step, and the time since the
// previous lap is charged to that op. Off (null) it costs one null check per step.
namespace SharpSeek.Model.Layers.V41.Vision;

/// <summary>The kinds of work one image encoding is charged to.</summary>
public enum VisionOp
{
    /// <summary>RoPE tables and the patch embedding (patch_embed.proj).</summary>
    PatchEmbed,
    /// <summary>norm1, norm2 and the final norm.</summary>
    Norms,
    /// <summary>attn.wqkv.</summary>
    Qkv,
    /// <summary>2-D RoPE on q and k.</summary>
    Rope,
    /// <summary>Bidirectional attention within each image.</summary>
    Attention,
    /// <summary>attn.wo.</summary>
    Output,
    /// <summary>mlp.w1 ([gate | up]).</summary>
    MlpIn,
    /// <summary>silu(gate) * up.</summary>
    SwiGlu,
    /// <summary>mlp.w2.</summary>
    MlpOut,
    /// <summary>The two residual adds.</summary>
    Residual,
    /// <summary>Unfold, w1, GELU, w2 of the aligner.</summary>
    Aligner,
}

public interface IVisionProfiler
{
    /// <summary>Charges the time since the previous lap (or since the profiler was started) to <paramref name="op"/>.</summary>
    void Lap(VisionOp op);
}
