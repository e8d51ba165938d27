// V4.1 compressor of a KV-source layer: ratio 1 = one latent per token, norm(wkv x); ratio r > 1 =
// softmax-gated pooling of r consecutive tokens without overlap (groups start at multiples of r):
// latent[d] = sum_i kv_i[d] softmax_i(score[d]), then norm. Latents are returned before RoPE (the
// indexer needs them so); a group yields its latent when its last token arrives.
using System.Numerics;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.State.V41;
using SharpSeek.Model.Weights;

namespace SharpSeek.Model.Layers.V41;

public sealed class V41Compressor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear _wkv;          // [head_dim, dim] BF16 (held fp32 for ratio > 1)
    private readonly Linear? _wgate;       // [head_dim, dim] BF16, ratio > 1
    private readonly RmsNorm<T> _norm;
    private readonly int _ratio, _headDim, _layer;

    public V41Compressor(WeightScope scope, V41Config c, int layer)
    {
        _ratio = c.Ratio(layer); _headDim = c.Base.HeadDim; _layer = layer;
        _wkv = scope.Linear("wkv", _headDim, c.Base.Dim, LinearKind.Bf16);
        if (_ratio > 1) _wgate = scope.Linear("wgate", _headDim, c.Base.Dim, LinearKind.Bf16);
        _norm = new RmsNorm<T>(scope, "norm", _headDim, c.Base.NormEps);
    }

    /// <summary>
    /// x [T, dim] at <paramref name="positions"/> of <paramref name="states"/>: appends the pre-pooling
    /// rows and returns, per token, the latent [head_dim] of the group it completes (null otherwise).
    /// </summary>
    public T[]?[] Forward(ReadOnlySpan<T> x, long[] positions, V41SequenceState<T>[] states)
    {
        int tokens = positions.Length, d = _headDim;
        var latents = new T[]?[tokens];
        // 1. kv = wkv x (and score = wgate x)                               [T, head_dim]
        T[] kv = new T[tokens * d];
        _wkv.Forward(x, kv, tokens);
        if (_ratio == 1)
        {
            // 2. ratio 1: every token is a group                            [head_dim]
            for (int t = 0; t < tokens; t++) { latents[t] = kv.AsSpan(t * d, d).ToArray(); _norm.ForwardInPlace(latents[t]); }
            return latents;
        }
        T[] score = new T[tokens * d], row = new T[2 * d];
        _wgate!.Forward(x, score, tokens);
        for (int t = 0; t < tokens; t++)
        {
            // 2. keep the row; pool when it completes its group             [r, 2 x head_dim] -> [head_dim]
            RowList<T> pre = states[t].PrePool[_layer]!;
            kv.AsSpan(t * d, d).CopyTo(row);
            score.AsSpan(t * d, d).CopyTo(row.AsSpan(d));
            if (pre.Count != positions[t]) throw new InvalidOperationException($"layer {_layer}: compressor rows {pre.Count} out of step with position {positions[t]}");
            pre.Add(row);
            if ((positions[t] + 1) % _ratio != 0) continue;
            int first = (int)positions[t] + 1 - _ratio;
            var latent = new T[d];
            for (int j = 0; j < d; j++)
            {
                T max = T.NegativeInfinity;
                for (int i = 0; i < _ratio; i++) max = T.Max(max, pre.Row(first + i)[d + j]);
                T sum = T.Zero;
                for (int i = 0; i < _ratio; i++) sum += T.Exp(pre.Row(first + i)[d + j] - max);
                T acc = T.Zero;
                for (int i = 0; i < _ratio; i++) acc += pre.Row(first + i)[j] * (T.Exp(pre.Row(first + i)[d + j] - max) / sum);
                latent[j] = acc;
            }
            // 3. norm                                                      [head_dim]
            _norm.ForwardInPlace(latent);
            latents[t] = latent;
        }
        return latents;
    }
}
