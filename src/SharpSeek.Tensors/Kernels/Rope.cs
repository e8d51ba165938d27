// Rotary position embedding on interleaved pairs (x[2i], x[2i+1]) with optional YaRN frequency
// scaling, as the reference's precompute_freqs_cis / apply_rotary_emb. Angles are formed in the
// precision T (pos * f_i rounded to T) and rotated on the fly, so no table grows with the context.
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpSeek.Tensors.Kernels;

public sealed record RopeParameters(int Dim, double Base, bool Yarn, double Factor, int OriginalMaxPositions, double BetaFast, double BetaSlow);

public sealed class RopeTable<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _freqs;

    public int Dim { get; }

    public RopeTable(RopeParameters p)
    {
        if (p.Dim <= 0 || p.Dim % 2 != 0) throw new ArgumentException($"RoPE dim must be even and positive, got {p.Dim}");
        Dim = p.Dim;
        int half = p.Dim / 2;
        _freqs = new T[half];
        T dim = T.CreateTruncating(p.Dim), b = T.CreateTruncating(p.Base);
        for (int i = 0; i < half; i++) _freqs[i] = T.One / T.Pow(b, T.CreateTruncating(2 * i) / dim);
        if (!p.Yarn) return;
        // YaRN: blend interpolated (f / factor) and original frequencies over a linear ramp [low, high].
        double CorrectionDim(double rotations) => p.Dim * Math.Log(p.OriginalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.Log(p.Base));
        double low = Math.Max(Math.Floor(CorrectionDim(p.BetaFast)), 0);
        double high = Math.Min(Math.Ceiling(CorrectionDim(p.BetaSlow)), p.Dim - 1);
        if (low == high) high += 0.001;
        T factor = T.CreateTruncating(p.Factor);
        for (int i = 0; i < half; i++)
        {
            T ramp = T.Clamp((T.CreateTruncating(i) - T.CreateTruncating(low)) / (T.CreateTruncating(high) - T.CreateTruncating(low)), T.Zero, T.One);
            T smooth = T.One - ramp;
            _freqs[i] = _freqs[i] / factor * (T.One - smooth) + _freqs[i] * smooth;
        }
    }

    public ReadOnlySpan<T> Frequencies => _freqs;

    /// <summary>Rotates x (length Dim) by the angles of position <paramref name="pos"/>; inverse = conjugate rotation.</summary>
    public void Apply(Span<T> x, long pos, bool inverse = false)
    {
        if (x.Length != Dim) throw new ArgumentException($"RoPE input has {x.Length} values, expected {Dim}");
        T t = T.CreateTruncating(pos);
        for (int i = 0; i < _freqs.Length; i++)
        {
            T angle = t * _freqs[i];
            T c = T.Cos(angle), s = T.Sin(angle);
            if (inverse) s = -s;
            T a = x[2 * i], b = x[2 * i + 1];
            x[2 * i] = a * c - b * s;
            x[2 * i + 1] = a * s + b * c;
        }
    }

    /// <summary>cos and sin of the angles of <paramref name="pos"/> (Dim / 2 each), as Apply forms them.</summary>
    public void Angles(long pos, Span<T> cos, Span<T> sin)
    {
        if (cos.Length < _freqs.Length || sin.Length < _freqs.Length) throw new ArgumentException($"RoPE angles: {_freqs.Length} cos and sin values needed, got {cos.Length} and {sin.Length}");
        T t = T.CreateTruncating(pos);
        for (int i = 0; i < _freqs.Length; i++)
        {
            T angle = t * _freqs[i];
            cos[i] = T.Cos(angle);
            sin[i] = T.Sin(angle);
        }
    }

    /// <summary>
    /// Apply to the slice [offset, offset + Dim) of each of the rows of width <paramref name="stride"/> in x
    /// (the heads of one token) with the angles' cos and sin from Angles (computed once for every row and use
    /// of a position): each row gets exactly the values Apply gives it.
    /// </summary>
    public void ApplyHeads(Span<T> x, int stride, int offset, ReadOnlySpan<T> cos, ReadOnlySpan<T> sin, bool inverse = false)
    {
        if (stride <= 0 || offset < 0 || offset + Dim > stride || x.Length % stride != 0)
            throw new ArgumentException($"RoPE over heads: {x.Length} values are not rows of {stride} holding [{offset}, {offset + Dim})");
        if (cos.Length < _freqs.Length || sin.Length < _freqs.Length) throw new ArgumentException($"RoPE over heads: {_freqs.Length} cos and sin values needed, got {cos.Length} and {sin.Length}");
        int rows = x.Length / stride, half = _freqs.Length;
        if (typeof(T) == typeof(float) && Avx512F.IsSupported && Dim % 16 == 0)
        {
            ApplyHeadsF32(MemoryMarshal.Cast<T, float>(x), rows, stride, offset, MemoryMarshal.Cast<T, float>(cos), MemoryMarshal.Cast<T, float>(sin), inverse);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            // one row's pairs in order (sequential memory), the same products as Apply
            Span<T> xr = x.Slice(r * stride + offset, 2 * half);
            for (int i = 0; i < half; i++)
            {
                T c = cos[i], s = inverse ? -sin[i] : sin[i];
                T a = xr[2 * i], b = xr[2 * i + 1];
                xr[2 * i] = a * c - b * s;
                xr[2 * i + 1] = a * s + b * c;
            }
        }
    }

    /// <summary>
    /// ApplyHeads in float32, 8 pairs per vector: x' = x (c, c) + swap(x) (-s, s), which is a c - b s and
    /// b c + a s lane by lane (a product of -s is the negated product of s), so each value equals Apply's.
    /// </summary>
    private unsafe void ApplyHeadsF32(Span<float> x, int rows, int stride, int offset, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse)
    {
        int half = _freqs.Length;
        Span<float> cc = stackalloc float[Dim], ss = stackalloc float[Dim];
        for (int i = 0; i < half; i++)
        {
            float si = inverse ? -sin[i] : sin[i];
            cc[2 * i] = cos[i]; cc[2 * i + 1] = cos[i];
            ss[2 * i] = -si; ss[2 * i + 1] = si;
        }
        fixed (float* px = x, pc = cc, ps = ss)
            for (int r = 0; r < rows; r++)
            {
                float* xr = px + (long)r * stride + offset;
                for (int j = 0; j < Dim; j += 16)
                {
                    Vector512<float> v = Vector512.Load(xr + j);
                    Vector512<float> swapped = Avx512F.Permute4x32(v, 0b1011_0001);   // (a, b) -> (b, a) in every pair
                    (v * Vector512.Load(pc + j) + swapped * Vector512.Load(ps + j)).Store(xr + j);
                }
            }
    }
}
