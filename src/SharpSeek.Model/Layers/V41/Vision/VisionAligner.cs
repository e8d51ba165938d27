// The aligner (aligner.*): a ViT feature grid [n_h, n_w, vd] is zero-padded on the bottom/right to a
// multiple of r = downsample_ratio and cut into r x r cells (F.unfold order: channel-major, then the
// cell's row, then its column); each cell [vd r r] -> w1 -> exact GELU -> w2 -> one LLM row [dim].
// Cells in reading order: ceil(n_h/r) x ceil(n_w/r) rows per image.
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41.Vision;

public sealed class VisionAligner<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Affine<T> _w1, _w2;   // [dim, vd r^2], [dim, dim]
    private readonly int _r, _vd, _dim;

    public VisionAligner(WeightScope aligner, VisionConfig v, int dim)
    {
        _r = v.DownsampleRatio; _vd = v.Dim; _dim = dim;
        _w1 = new Affine<T>(aligner, "w1", dim, v.Dim * _r * _r);
        _w2 = new Affine<T>(aligner, "w2", dim, dim);
    }

    /// <summary>The LLM grid of a patch grid: (ceil(n_h / r), ceil(n_w / r)).</summary>
    public static (int Height, int Width) LlmGrid(PatchGrid g, int r) => ((g.Height + r - 1) / r, (g.Width + r - 1) / r);

    /// <summary>features [sum N_i, vd] of every image in order -> rows [sum cells_i, dim], each image's cells in reading order.</summary>
    public T[] Forward(ReadOnlySpan<T> features, IReadOnlyList<PatchGrid> grids, IVisionProfiler? profiler = null)
    {
        int r = _r, vd = _vd, cellWidth = vd * r * r;
        int cells = grids.Sum(g => LlmGrid(g, r).Height * LlmGrid(g, r).Width);
        // 1. unfold every image into r x r cells (zero padding past the grid)                 [C, vd r r]
        var u = new T[cells * cellWidth];
        int cell = 0, first = 0;
        foreach (var g in grids)
        {
            var (lh, lw) = LlmGrid(g, r);
            for (int ch = 0; ch < lh; ch++)
                for (int cw = 0; cw < lw; cw++, cell++)
                {
                    Span<T> dst = u.AsSpan(cell * cellWidth, cellWidth);
                    for (int i = 0; i < r; i++)
                        for (int j = 0; j < r; j++)
                        {
                            int row = ch * r + i, col = cw * r + j;
                            if (row >= g.Height || col >= g.Width) continue;
                            ReadOnlySpan<T> f = features.Slice((first + row * g.Width + col) * vd, vd);
                            for (int c = 0; c < vd; c++) dst[c * r * r + i * r + j] = f[c];
                        }
                }
            first += g.Count;
        }
        // 2. w1, exact GELU, w2                                                                [C, dim]
        var h = new T[cells * _dim];
        _w1.Forward(u, h, cells);
        Gelu.Forward<T>(h, h);
        var y = new T[cells * _dim];
        _w2.Forward(h, y, cells);
        profiler?.Lap(VisionOp.Aligner);
        return y;
    }
}
