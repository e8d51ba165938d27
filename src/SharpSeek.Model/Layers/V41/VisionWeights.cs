// The vision tower's weights (vision.*, aligner.*, image_start/end/newline; a separate issue): bound
// for the weight map and checkpoint validation only. Shapes follow the official module tree:
// patch_embed [vision_dim, 3 p^2], per block norm1/norm2 (F32), wqkv, wo (with biases) and a fused
// SwiGLU w1 [2 inter, vision_dim] with w2; the aligner maps downsample^2 patches to dim.
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Layers.V41;

/// <summary>The learned embeddings of an image span's delimiters (image_start, image_end, image_newline) [dim] each.</summary>
public sealed record ImageDelimiters<T>(T[] Start, T[] End, T[] NewLine) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

public static class VisionWeights
{
    /// <summary>Binds the tower's weights (validated, not run) and returns the span delimiters, which the text model places.</summary>
    public static ImageDelimiters<T> Bind<T>(WeightScope scope, V41Config c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var v = c.Vision;
        int vd = v.Dim, p = v.PatchSize, dim = c.Base.Dim, ds = v.DownsampleRatio;
        void Affine(WeightScope s, string name, int rows, int cols)
        {
            s.Linear(name, rows, cols, LinearKind.Bf16);
            s.Vector<float>(name + ".bias", DType.BF16, rows);
        }
        WeightScope vision = scope.Scope("vision");
        Affine(vision.Scope("patch_embed"), "proj", vd, 3 * p * p);
        for (int i = 0; i < v.NumLayers; i++)
        {
            WeightScope blk = vision.Scope("blocks").Scope(i);
            blk.Vector<float>("norm1.weight", DType.F32, vd);
            blk.Vector<float>("norm2.weight", DType.F32, vd);
            Affine(blk.Scope("attn"), "wqkv", 3 * vd, vd);
            Affine(blk.Scope("attn"), "wo", vd, vd);
            blk.Scope("mlp").Linear("w1", 2 * v.InterDim, vd, LinearKind.Bf16);
            blk.Scope("mlp").Linear("w2", vd, v.InterDim, LinearKind.Bf16);
        }
        vision.Vector<float>("norm.weight", DType.F32, vd);
        Affine(scope.Scope("aligner"), "w1", dim, vd * ds * ds);
        Affine(scope.Scope("aligner"), "w2", dim, dim);
        return new ImageDelimiters<T>(scope.Vector<T>("image_start", DType.BF16, dim), scope.Vector<T>("image_end", DType.BF16, dim), scope.Vector<T>("image_newline", DType.BF16, dim));
    }
}
