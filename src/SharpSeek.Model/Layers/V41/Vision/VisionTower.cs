// The V4.1 ViT (vision.*): patches [N, 3 p p] -> patch_embed -> blocks (2-D RoPE, bidirectional
// attention per image) -> final RMSNorm -> patch features [N, vision_dim]. Batched over images: the
// row-wise steps run on the rows of every image at once, attention and RoPE per image.
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41.Vision;

/// <summary>One image's patch grid (n_vit_h x n_vit_w patches, in reading order).</summary>
public readonly record struct PatchGrid(int Height, int Width)
{
    public int Count => Height * Width;
}

public sealed class VisionTower<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The ViT's RMSNorm epsilon (the reference's RMSNorm default).</summary>
    public const double NormEps = 1e-6;

    private readonly VisionConfig _v;
    private readonly Affine<T> _patchEmbed;    // [vd, 3 p^2]
    private readonly VisionBlock<T>[] _blocks;
    private readonly T[] _norm;                 // [vd] F32

    public VisionTower(WeightScope vision, VisionConfig v)
    {
        _v = v;
        _patchEmbed = new Affine<T>(vision.Scope("patch_embed"), "proj", v.Dim, 3 * v.PatchSize * v.PatchSize);
        _blocks = new VisionBlock<T>[v.NumLayers];
        for (int i = 0; i < v.NumLayers; i++) _blocks[i] = new VisionBlock<T>(vision.Scope("blocks").Scope(i), v);
        _norm = vision.Vector<T>("norm.weight", DType.F32, v.Dim);
    }

    /// <summary>patches [sum N_i, 3, p, p] of every image in order -> features [sum N_i, vision_dim].</summary>
    public T[] Forward(ReadOnlySpan<T> patches, IReadOnlyList<PatchGrid> grids, IVisionProfiler? profiler = null)
    {
        int pp = 3 * _v.PatchSize * _v.PatchSize, d = _v.Dim, hd = d / _v.NumHeads;
        int rows = grids.Sum(g => g.Count);
        if (patches.Length != (long)rows * pp) throw new ArgumentException($"{patches.Length} patch values for {rows} patches of 3x{_v.PatchSize}x{_v.PatchSize}");
        // 1. per image: its rows and its 2-D RoPE table
        var images = new List<(int, int, VisionRope<T>)>(grids.Count);
        int start = 0;
        foreach (var g in grids)
        {
            images.Add((start, g.Count, new VisionRope<T>(g.Height, g.Width, hd, _v.RopeTheta)));
            start += g.Count;
        }
        // 2. patch embedding                                                                  [N, vd]
        var x = new T[rows * d];
        _patchEmbed.Forward(patches, x, rows);
        profiler?.Lap(VisionOp.PatchEmbed);
        // 3. blocks                                                                           [N, vd]
        var scratch = new T[rows * d];
        var wide = new T[(long)rows * VisionBlock<T>.WideWidth(_v)];
        foreach (var block in _blocks) block.Forward(x, rows, images, scratch, wide, profiler);
        // 4. final norm                                                                       [N, vd]
        Elementwise.RmsNormRows<T>(x, d, _norm, T.CreateTruncating(NormEps));
        profiler?.Lap(VisionOp.Norms);
        return x;
    }
}
