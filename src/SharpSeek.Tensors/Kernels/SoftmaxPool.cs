// The compressor's pooling of one channel: softmax over a block's slots of the gate scores, then
// the weighted sum of the slots' kv values. Used by the inference Compressor (token by token) and
// by the training graph's CompressorPool (which keeps the weights for its backward), so both pool
// with the same operations in the same order. Scalar and generic in T: it is its own plain twin.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels;

public static class SoftmaxPool
{
    /// <summary>
    /// weights[s] (in: the score of slot s, -inf for a slot that does not exist; out: its softmax
    /// weight, 0 for a missing slot) -> returns sum_s weights[s] * values[s] over the slots with a
    /// non-zero weight. w_s = exp(score_s - max) / sum_j exp(score_j - max).
    /// </summary>
    public static T Channel<T>(Span<T> weights, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.Length < weights.Length) throw new ArgumentException($"{weights.Length} slots but {values.Length} values", nameof(values));
        // 1. max over the slots (a missing slot's -inf never wins)
        T m = T.NegativeInfinity;
        for (int s = 0; s < weights.Length; s++) if (weights[s] > m) m = weights[s];
        // 2. exponentials and their sum
        T sum = T.Zero;
        for (int s = 0; s < weights.Length; s++)
        {
            weights[s] = T.IsNegativeInfinity(weights[s]) ? T.Zero : T.Exp(weights[s] - m);
            sum += weights[s];
        }
        // 3. normalised weights and the pooled value (zero-weight slots skipped: their value may be a placeholder)
        T acc = T.Zero;
        for (int s = 0; s < weights.Length; s++)
        {
            bool present = weights[s] != T.Zero;
            weights[s] /= sum;
            if (present) acc += weights[s] * values[s];
        }
        return acc;
    }
}
