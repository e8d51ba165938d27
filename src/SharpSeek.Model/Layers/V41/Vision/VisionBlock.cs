// One ViT block (vision.blocks.<i>), pre-norm residual: x += wo(attn(rope(wqkv(norm1 x))));
// x += w2(silu(gate) * up) with [gate | up] = w1(norm2 x). Attention is bidirectional within each image.
// The patch products run MatMulTiled, attention the flash-style FullAttention (both over the worker team).
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers.V41.Vision;

public sealed class VisionBlock<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _norm1, _norm2;          // [vision_dim] F32
    private readonly Affine<T> _wqkv, _wo;        // [3 vd, vd], [vd, vd]
    private readonly Linear _w1, _w2;             // [2 inter, vd], [vd, inter]
    private readonly int _dim, _heads, _inter;
    private readonly T _eps;

    public VisionBlock(WeightScope scope, VisionConfig v)
    {
        _dim = v.Dim; _heads = v.NumHeads; _inter = v.InterDim;
        _eps = T.CreateTruncating(VisionTower<T>.NormEps);
        _norm1 = scope.Vector<T>("norm1.weight", DType.F32, _dim);
        _norm2 = scope.Vector<T>("norm2.weight", DType.F32, _dim);
        WeightScope attn = scope.Scope("attn");
        _wqkv = new Affine<T>(attn, "wqkv", 3 * _dim, _dim);
        _wo = new Affine<T>(attn, "wo", _dim, _dim);
        WeightScope mlp = scope.Scope("mlp");
        _w1 = mlp.Linear("w1", 2 * _inter, _dim, LinearKind.Bf16);
        _w2 = mlp.Linear("w2", _dim, _inter, LinearKind.Bf16);
    }

    /// <summary>Scratch values per row a block needs besides its input: [q | k | v | o] or [gate | up | hidden].</summary>
    public static int WideWidth(VisionConfig v) => Math.Max(4 * v.Dim, 3 * v.InterDim);

    /// <summary>
    /// x [rows, vd] in place; images[i] = (first row, rope of its grid). The caller's scratch: a [rows, vd]
    /// and wide [rows, WideWidth] (reused by every block of a forward call).
    /// </summary>
    public void Forward(Span<T> x, int rows, IReadOnlyList<(int Start, int Count, VisionRope<T> Rope)> images, Span<T> a, Span<T> wide, IVisionProfiler? profiler = null)
    {
        int d = _dim, hd = d / _heads;
        if (a.Length < rows * d || wide.Length < (long)rows * Math.Max(4 * d, 3 * _inter)) throw new ArgumentException($"vision block scratch shorter than {rows} rows");
        // 1. attention input: norm1                                                           [N, vd]
        for (int r = 0; r < rows; r++) Elementwise.RmsNorm<T>(x.Slice(r * d, d), _norm1, _eps, a.Slice(r * d, d));
        profiler?.Lap(VisionOp.Norms);
        // 2. q | k | v                                                                        [N, 3 vd]
        Span<T> qkv = wide[..(rows * 3 * d)], o = wide.Slice(rows * 3 * d, rows * d);
        _wqkv.Forward(a, qkv, rows);
        profiler?.Lap(VisionOp.Qkv);
        foreach (var (start, count, rope) in images)
        {
            // 3. 2-D RoPE on q and k of the image                                             [n, 3 vd]
            Span<T> img = qkv.Slice(start * 3 * d, count * 3 * d);
            rope.Apply(img, count, 3 * d, _heads);
            rope.Apply(img[d..], count, 3 * d, _heads);
            profiler?.Lap(VisionOp.Rope);
            // 4. bidirectional attention within the image                                     [n, vd]
            FullAttention.Forward<T>(img, img[d..], img[(2 * d)..], 3 * d, count, _heads, hd, o.Slice(start * d, count * d));
            profiler?.Lap(VisionOp.Attention);
        }
        // 5. output projection, residual                                                      [N, vd]
        _wo.Forward(o, a, rows);
        profiler?.Lap(VisionOp.Output);
        for (int i = 0; i < rows * d; i++) x[i] += a[i];
        profiler?.Lap(VisionOp.Residual);
        // 6. MLP input: norm2                                                                 [N, vd]
        for (int r = 0; r < rows; r++) Elementwise.RmsNorm<T>(x.Slice(r * d, d), _norm2, _eps, a.Slice(r * d, d));
        profiler?.Lap(VisionOp.Norms);
        // 7. [gate | up] = w1                                                                 [N, 2 inter]
        Span<T> gu = wide[..(rows * 2 * _inter)], hidden = wide.Slice(rows * 2 * _inter, rows * _inter);
        MatMulTiled.Forward<T>(a, _w1.Weight, gu, rows);
        profiler?.Lap(VisionOp.MlpIn);
        // 8. silu(gate) * up                                                                  [N, inter]
        for (int r = 0; r < rows; r++)
        {
            Span<T> gate = gu.Slice(r * 2 * _inter, _inter), up = gu.Slice(r * 2 * _inter + _inter, _inter), hRow = hidden.Slice(r * _inter, _inter);
            Elementwise.Silu<T>(gate, hRow);
            for (int i = 0; i < _inter; i++) hRow[i] *= up[i];
        }
        profiler?.Lap(VisionOp.SwiGlu);
        // 9. w2, residual                                                                     [N, vd]
        MatMulTiled.Forward<T>(hidden, _w2.Weight, a, rows);
        profiler?.Lap(VisionOp.MlpOut);
        for (int i = 0; i < rows * d; i++) x[i] += a[i];
        profiler?.Lap(VisionOp.Residual);
    }
}
