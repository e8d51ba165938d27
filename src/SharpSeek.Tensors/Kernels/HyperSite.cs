// The constants of one mHC site that the HyperMix kernels and their twins read: hc streams of dim
// values, Sinkhorn iterations, hc_eps, the RMS eps of the mix, and the site's scale [3] and base
// [(2 + hc) hc]. Built once per site by the layer; the shape checks of the kernels live here.
using System.Numerics;

namespace SharpSeek.Tensors.Kernels;

public sealed class HyperSite<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Hc { get; }
    public int Dim { get; }
    public int Iters { get; }
    public T Eps { get; }
    public T NormEps { get; }

    /// <summary>scale [3]: pre, post, comb.</summary>
    public T[] Scale { get; }

    /// <summary>base [(2 + hc) hc]: pre [hc], post [hc], comb [hc, hc].</summary>
    public T[] Base { get; }

    /// <summary>Values of a token's mix: (2 + hc) hc.</summary>
    public int MixWidth => (2 + Hc) * Hc;

    public HyperSite(int hc, int dim, int iters, T eps, T normEps, T[] scale, T[] @base)
    {
        if (hc < 1 || dim < 1 || iters < 1) throw new ArgumentOutOfRangeException(nameof(hc), $"mHC site needs hc, dim and iters >= 1, got {hc}, {dim}, {iters}");
        if (scale.Length != 3) throw new ArgumentException($"mHC scale has {scale.Length} values, need 3", nameof(scale));
        if (@base.Length != (2 + hc) * hc) throw new ArgumentException($"mHC base has {@base.Length} values, need {(2 + hc) * hc}", nameof(@base));
        Hc = hc; Dim = dim; Iters = iters; Eps = eps; NormEps = normEps; Scale = scale; Base = @base;
    }

    internal void CheckSplit(int mix, int ss, int tokens, int pre, int post, int comb)
    {
        if (tokens < 0) throw new ArgumentOutOfRangeException(nameof(tokens), $"mHC split of {tokens} tokens");
        if (mix < tokens * MixWidth || ss < tokens || pre < tokens * Hc || post < tokens * Hc || comb < tokens * Hc * Hc)
            throw new ArgumentException($"mHC split of {tokens} tokens (hc {Hc}): mix {mix}, ss {ss}, pre {pre}, post {post}, comb {comb} values are too few");
    }

    internal static void CheckStreams(int h, int perStream, int row, int tokens, int hc, int d, string what)
    {
        if (tokens < 0 || hc < 1 || d < 0) throw new ArgumentOutOfRangeException(nameof(tokens), $"mHC {what}: {tokens} tokens, hc {hc}, dim {d}");
        if (h < tokens * hc * d || perStream < tokens * hc || row < tokens * d)
            throw new ArgumentException($"mHC {what} of {tokens} tokens (hc {hc}, dim {d}): streams {h}, coefficients {perStream}, row {row} values are too few");
    }
}
