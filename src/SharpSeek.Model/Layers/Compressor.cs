// KV compressor of a compressed-attention layer (and of the lightning indexer). Every r tokens it
// pools the per-token rows a = wkv x with a per-channel softmax over the gate scores
// s = wgate x + ape[pos mod r]. The indexed ratio (4) overlaps: an entry pools the previous block through
// channels [0, hd) and its own block through [hd, 2hd). The pooled row is normed, rotated by RoPE
// at the block's first position and then FP8- (attention) or Hadamard+FP4- (indexer) quantised.
using System.Numerics;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Model.Layers;

public sealed class Compressor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wkv, _wgate;   // [coff*hd, dim] BF16
    private readonly T[] _ape;              // [r, coff*hd]
    private readonly RmsNorm<T> _norm;      // [hd]
    private readonly RopeTable<T> _rope;

    public int Ratio { get; }
    public int HeadDim { get; }
    /// <summary>Indexed-ratio compressors pool two overlapping blocks (ModelConfig.KindOfRatio).</summary>
    public bool Overlap { get; }
    /// <summary>Indexer compressor: Hadamard rotation then FP4 instead of FP8.</summary>
    public bool Rotate { get; }
    public int Width => (Overlap ? 2 : 1) * HeadDim;
    private readonly int _ropeDim;

    public Compressor(WeightScope scope, int ratio, int headDim, bool rotate, RopeTable<T> rope)
    {
        var c = scope.Config;
        Ratio = ratio; HeadDim = headDim; Rotate = rotate; _rope = rope; _ropeDim = c.RopeHeadDim;
        Overlap = ModelConfig.KindOfRatio(ratio) == AttentionKind.Indexed;
        int width = Width;
        _ape = scope.Vector<T>("ape", DType.F32, ratio, width);
        _norm = new RmsNorm<T>(scope, "norm", headDim, c.NormEps);
        _wgate = scope.Linear("wgate", width, c.Dim, LinearKind.Bf16);
        _wkv = scope.Linear("wkv", width, c.Dim, LinearKind.Bf16);
    }

    /// <summary>The products of Project (a decode step runs them in one region with the layer's others).</summary>
    public Linear Wkv => _wkv;
    public Linear Wgate => _wgate;

    /// <summary>Per-token rows: kv [T, Width] = wkv x, score [T, Width] = wgate x (ape added on Push).</summary>
    public void Project(ReadOnlySpan<T> x, int tokens, Span<T> kv, Span<T> score)
    {
        _wkv.Forward(x, kv, tokens);
        _wgate.Forward(x, score, tokens);
    }

    /// <summary>
    /// Feeds the token at <paramref name="pos"/>. When it completes a block, writes the finished entry
    /// (HeadDim values, before the final quantisation, which the store performs) into
    /// <paramref name="entry"/> and returns true.
    /// </summary>
    public bool Push(long pos, ReadOnlySpan<T> kv, Span<T> score, CompressorHistory<T> rows, Span<T> entry)
    {
        int r = Ratio, hd = HeadDim;
        // 1. score += ape[pos mod r]; remember the raw rows                    [Width]
        ReadOnlySpan<T> ape = _ape.AsSpan((int)(pos % r) * Width, Width);
        for (int i = 0; i < Width; i++) score[i] += ape[i];
        rows.Write(pos, kv, score);
        if ((pos + 1) % r != 0) return false;

        // 2. pool the block(s): per channel softmax over slots, weighted sum of kv  [hd]
        long first = pos + 1 - r;             // first position of this block
        bool hasPrev = Overlap && first >= r;
        int slots = Overlap ? 2 * r : r;
        // Channels a chunk at a time: each slot's row is looked up once per chunk, its values laid out
        // [channel, slot] for SoftmaxPool (the same values and order as one channel at a time).
        int chunk = Math.Clamp(PoolValues / slots, 1, hd);
        Span<T> w = stackalloc T[chunk * slots], v = stackalloc T[chunk * slots];
        for (int c0 = 0; c0 < hd; c0 += chunk)
        {
            int n = Math.Min(chunk, hd - c0);
            for (int sl = 0; sl < slots; sl++) Gather(rows, first, sl, hasPrev, c0, n, slots, w, v);
            for (int i = 0; i < n; i++) entry[c0 + i] = SoftmaxPool.Channel<T>(w.Slice(i * slots, slots), v.Slice(i * slots, slots));
        }
        // 3. norm, RoPE at the block's first position                         [hd]
        _norm.ForwardInPlace(entry[..hd]);
        _rope.Apply(entry.Slice(hd - _ropeDim, _ropeDim), first);
        // 4. indexer keys: Hadamard rotation (the FP4 quantisation happens in the key store)
        if (Rotate) Elementwise.Hadamard(entry[..hd], T.One / T.Sqrt(T.CreateTruncating(hd)));
        return true;
    }

    /// <summary>Values gathered per pooling pass (channels x slots, two stack buffers of them).</summary>
    private const int PoolValues = 2048;

    /// <summary>
    /// Slot sl of the block starting at first, channels [c0, c0 + n): its gate scores into w[i * slots + sl] and kv
    /// values into v[i * slots + sl]; a slot that does not exist (the previous block of the first one) scores -inf.
    /// </summary>
    private void Gather(CompressorHistory<T> rows, long first, int sl, bool hasPrev, int c0, int n, int slots, Span<T> w, Span<T> v)
    {
        int r = Ratio, hd = HeadDim;
        long p; int off;
        if (!Overlap) { p = first + sl; off = 0; }
        else if (sl < r)
        {
            // previous block, channels [0, hd)
            if (!hasPrev)
            {
                for (int i = 0; i < n; i++) { w[i * slots + sl] = T.NegativeInfinity; v[i * slots + sl] = T.Zero; }
                return;
            }
            p = first - r + sl; off = 0;
        }
        else { p = first + sl - r; off = hd; }   // this block, channels [hd, 2hd)
        ReadOnlySpan<T> kv = rows.Kv(p).Slice(off + c0, n), score = rows.Score(p).Slice(off + c0, n);
        for (int i = 0; i < n; i++) { w[i * slots + sl] = score[i]; v[i * slots + sl] = kv[i]; }
    }
}
