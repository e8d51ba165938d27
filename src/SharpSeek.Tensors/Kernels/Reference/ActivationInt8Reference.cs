// The plain twin of ActivationInt8.Quantize (and the integer-sum twin of the int8 FP4 products in
// MatMulInt8Reference): one value at a time, the formula written out.
namespace SharpSeek.Tensors.Kernels.Reference;

public static class ActivationInt8Reference
{
    /// <summary>q = round-half-even(x * 127 / max|x|) clamped to [-127, 127] per 32, scale = max|x| / 127, sum = sum of the block's q.</summary>
    public static void Quantize(ReadOnlySpan<float> x, int tokens, int n, Span<sbyte> q, Span<float> scale, Span<int> sum)
    {
        if (n % 32 != 0) throw new ArgumentException($"int8 activations need a multiple of 32 values per row, got {n}");
        int blocks = tokens * (n / 32);
        for (int b = 0; b < blocks; b++)
        {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(x[b * 32 + i]));
            float inv = amax > 0 ? 127f / amax : 0f;
            scale[b] = amax / 127f;
            int s = 0;
            for (int i = 0; i < 32; i++)
            {
                int v = (int)Math.Clamp(MathF.Round(x[b * 32 + i] * inv, MidpointRounding.ToEven), -127f, 127f);
                q[b * 32 + i] = (sbyte)v;
                s += v;
            }
            sum[b] = s;
        }
    }
}
