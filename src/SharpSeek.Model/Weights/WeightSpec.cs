// What the architecture expects to find in a checkpoint: one tensor's name, dtype and shape.
using SharpSeek.Tensors;

namespace SharpSeek.Model.Weights;

public sealed record WeightSpec(string Name, DType DType, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
    public long Bytes => Elements * DType.Size();
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>How a linear layer's weight is stored.</summary>
public enum LinearKind
{
    /// <summary>FP8 e4m3 with 128x128 ue8m0 scales when the checkpoint is FP8, else BF16.</summary>
    Dense,
    /// <summary>Routed expert: FP4 (I8 packed) with 1x32 scales, or as Dense, per config.expert_dtype.</summary>
    Expert,
    /// <summary>Always BF16 (compressor wkv/wgate, indexer weights_proj, gate, embed, head).</summary>
    Bf16,
    /// <summary>F32 (mHC mixing matrices).</summary>
    F32,
}
