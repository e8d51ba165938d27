// The ViT's 2-D RoPE: within each head, dims i and i + head_dim/2 rotate together; the first
// head_dim/4 angles are row * inv_freq, the next head_dim/4 column * inv_freq, with
// inv_freq_j = theta^(-2j / (head_dim/2)). Angles per patch in reading order (row-major grid).
using System.Numerics;

namespace SharpSeek.Model.Layers.V41.Vision;

public sealed class VisionRope<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _cos, _sin;   // [n_h * n_w, head_dim/2]
    private readonly int _half;

    public VisionRope(int nH, int nW, int headDim, double theta)
    {
        _half = headDim / 2;
        int quarter = _half / 2;
        _cos = new T[nH * nW * _half];
        _sin = new T[nH * nW * _half];
        for (int r = 0; r < nH; r++)
            for (int c = 0; c < nW; c++)
                for (int i = 0; i < _half; i++)
                {
                    int j = i % quarter;
                    // torch computes the frequencies and angles in float32
                    float invFreq = 1f / MathF.Pow((float)theta, 2f * j / _half);
                    float angle = (i < quarter ? r : c) * invFreq;
                    int at = (r * nW + c) * _half + i;
                    _cos[at] = T.CreateTruncating(Math.Cos(angle));
                    _sin[at] = T.CreateTruncating(Math.Sin(angle));
                }
    }

    /// <summary>Rotates every head of x [n, stride] (heads of head_dim from column 0) in place.</summary>
    public void Apply(Span<T> x, int n, int stride, int heads)
    {
        int d = 2 * _half;
        for (int t = 0; t < n; t++)
            for (int h = 0; h < heads; h++)
            {
                Span<T> v = x.Slice(t * stride + h * d, d);
                for (int i = 0; i < _half; i++)
                {
                    T c = _cos[t * _half + i], s = _sin[t * _half + i], a = v[i], b = v[i + _half];
                    v[i] = a * c - b * s;
                    v[i + _half] = b * c + a * s;
                }
            }
    }
}
