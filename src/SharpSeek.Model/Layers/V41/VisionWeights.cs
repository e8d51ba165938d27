// The image path's modules and their weights (vision.*, aligner.*, image_start/end/newline), in the
// official module tree: patch_embed [vision_dim, 3 p^2], per block norm1/norm2 (F32), wqkv, wo (with
// biases) and a fused SwiGLU w1 [2 inter, vision_dim] with w2; the aligner maps r^2 patches to dim.
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;

namespace SharpSeek.Model.Layers.V41;

/// <summary>The learned embeddings of an image span's delimiters (image_start, image_end, image_newline) [dim] each.</summary>
public sealed record ImageDelimiters<T>(T[] Start, T[] End, T[] NewLine) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

/// <summary>The image path of a V4.1 model: ViT, aligner and span delimiters.</summary>
public sealed record VisionModules<T>(Vision.VisionTower<T> Tower, Vision.VisionAligner<T> Aligner, ImageDelimiters<T> Delimiters)
    where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>;

public static class VisionWeights
{
    /// <summary>Builds the tower and aligner (weight names by construction) and the span delimiters, which the text model places.</summary>
    public static VisionModules<T> Bind<T>(WeightScope scope, V41Config c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int dim = c.Base.Dim;
        var tower = new Vision.VisionTower<T>(scope.Scope("vision"), c.Vision);
        var aligner = new Vision.VisionAligner<T>(scope.Scope("aligner"), c.Vision, dim);
        var delimiters = new ImageDelimiters<T>(scope.Vector<T>("image_start", DType.BF16, dim), scope.Vector<T>("image_end", DType.BF16, dim), scope.Vector<T>("image_newline", DType.BF16, dim));
        return new VisionModules<T>(tower, aligner, delimiters);
    }
}
