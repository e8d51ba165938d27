// Sink attention of a block of tokens over shared keys with a mask: the float register-tiled kernel
// equals its scalar twin bit for bit (odd key counts, odd widths, heads not a multiple of the tile,
// window-edge and random masks, tokens that see nothing, the worker-team path), and the twin is the
// one-head reference formula restricted to the keys a token sees.
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public class SinkAttentionBlockTests
{
    private static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);

    /// <summary>Window-edge masks (token b sees keys [b, b + w]) and random ones; the last token of a block may see nothing.</summary>
    private static byte[] Mask(int tq, int n, Random rng, bool window, bool blindLast)
    {
        var m = new byte[tq * n];
        for (int t = 0; t < tq; t++)
            for (int i = 0; i < n; i++)
                m[t * n + i] = (byte)(window ? (i >= t && i <= t + n / 2 ? 1 : 0) : (rng.Next(3) > 0 ? 1 : 0));
        if (blindLast && tq > 1) Array.Clear(m, (tq - 1) * n, n);
        return m;
    }

    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(2, 5, 17)]
    [InlineData(3, 8, 32)]
    [InlineData(1, 16, 64)]
    [InlineData(4, 17, 33)]
    [InlineData(2, 16, 129)]
    [InlineData(1, 20, 40)]
    public void FloatKernelEqualsTheTwinBitForBit(int tq, int heads, int d)
    {
        var rng = new Random(tq * 1000 + heads * 31 + d);
        foreach (int n in new[] { 0, 1, 2, 7, 31, 32, 33, 63, 65, 130, 257 })
            foreach (bool window in new[] { true, false })
            {
                float[] q = TestWeights.RandomFloats(tq * heads * d, rng, 2), keys = TestWeights.RandomFloats(n * d, rng, 2);
                float[] sinks = TestWeights.RandomFloats(heads, rng, 2);
                byte[] seen = Mask(tq, n, rng, window, blindLast: !window);
                float scale = 1f / MathF.Sqrt(d);
                float[] fast = new float[tq * heads * d], twin = new float[tq * heads * d];
                Array.Fill(fast, float.NaN);
                SinkAttentionBlock.Attend<float>(q, keys, d, seen, scale, sinks, new float[SinkAttentionBlock.ScratchSize(tq, heads, n, d)], fast);
                SinkAttentionBlockReference.Attend<float>(q, keys, d, seen, scale, sinks, twin);
                for (int i = 0; i < fast.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(fast[i]) == BitConverter.SingleToInt32Bits(twin[i]) || fast[i] == twin[i],
                        $"tq={tq} heads={heads} d={d} n={n} window={window} [{i}]: kernel {fast[i]:R}, twin {twin[i]:R}");
            }
    }

    [Fact]
    public void ManyTokensOnTheWorkerTeamEqualTheTwin()
    {
        var rng = new Random(19);
        const int tq = 16, heads = 16, d = 96, n = 150;
        float[] q = TestWeights.RandomFloats(tq * heads * d, rng, 1), keys = TestWeights.RandomFloats(n * d, rng, 1), sinks = TestWeights.RandomFloats(heads, rng, 1);
        byte[] seen = Mask(tq, n, rng, window: true, blindLast: false);
        float[] fast = new float[tq * heads * d], twin = new float[tq * heads * d];
        SinkAttentionBlock.Attend<float>(q, keys, d, seen, 0.1f, sinks, new float[SinkAttentionBlock.ScratchSize(tq, heads, n, d)], fast);
        SinkAttentionBlockReference.Attend<float>(q, keys, d, seen, 0.1f, sinks, twin);
        Assert.Equal(twin, fast);
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(3, 16)]
    [InlineData(2, 5)]
    public void UnseenRunsOfKeyTilesBetweenSeenOnesEqualTheTwin(int tq, int heads)
    {
        // a window, then picked entries far apart: whole 32-key tiles unseen between seen ones are skipped
        var rng = new Random(tq * 7 + heads);
        const int d = 64, n = 230;
        float[] q = TestWeights.RandomFloats(tq * heads * d, rng, 2), keys = TestWeights.RandomFloats(n * d, rng, 2), sinks = TestWeights.RandomFloats(heads, rng, 2);
        var seen = new byte[tq * n];
        for (int t = 0; t < tq; t++)
            for (int i = 0; i < n; i++)
                seen[t * n + i] = (byte)((i >= t && i < 10 + t) || (i >= 100 && i < 140 && i % (t + 2) != 0) || i == 229 - t ? 1 : 0);
        float[] fast = new float[tq * heads * d], twin = new float[tq * heads * d];
        SinkAttentionBlock.Attend<float>(q, keys, d, seen, 0.125f, sinks, new float[SinkAttentionBlock.ScratchSize(tq, heads, n, d)], fast);
        SinkAttentionBlockReference.Attend<float>(q, keys, d, seen, 0.125f, sinks, twin);
        Assert.Equal(twin, fast);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EachTokenIsTheReferenceOverTheKeysItSees(bool window)
    {
        var rng = new Random(window ? 3 : 4);
        const int tq = 5, heads = 3, d = 24, n = 41;
        float[] qf = TestWeights.RandomFloats(tq * heads * d, rng, 2), kf = TestWeights.RandomFloats(n * d, rng, 2), sf = TestWeights.RandomFloats(heads, rng, 2);
        double[] q = ToDouble(qf), keys = ToDouble(kf), sinks = ToDouble(sf);
        byte[] seen = Mask(tq, n, rng, window, blindLast: true);
        double[] twin = new double[tq * heads * d];
        float[] fast = new float[tq * heads * d];
        SinkAttentionBlock.Attend<double>(q, keys, d, seen, 0.2, sinks, [], twin);
        SinkAttentionBlock.Attend<float>(qf, kf, d, seen, 0.2f, sf, new float[SinkAttentionBlock.ScratchSize(tq, heads, n, d)], fast);
        for (int t = 0; t < tq; t++)
        {
            double[] sub = Enumerable.Range(0, n).Where(i => seen[t * n + i] != 0).SelectMany(i => keys.AsSpan(i * d, d).ToArray()).ToArray();
            for (int h = 0; h < heads; h++)
            {
                double[] want = new double[d];
                SinkAttentionReference.Attend<double>(q.AsSpan((t * heads + h) * d, d), sub, 0.2, sinks[h], new double[sub.Length / d], want);
                for (int j = 0; j < d; j++)
                {
                    double got = twin[(t * heads + h) * d + j], f = fast[(t * heads + h) * d + j];
                    Assert.True(Math.Abs(want[j] - got) <= 1e-12 * Math.Max(1, Math.Abs(want[j])), $"t={t} h={h} j={j}: reference {want[j]:R}, twin {got:R}");
                    Assert.True(Math.Abs(want[j] - f) <= 2e-6 * Math.Max(1, Math.Abs(want[j])), $"t={t} h={h} j={j}: reference {want[j]:R}, float kernel {f:R}");
                }
            }
        }
    }

    [Fact]
    public void ShapeMismatchesAreRejected()
    {
        float[] sinks = [0, 0];
        // 2 heads x 2 wide = one token; keys 3 values are not rows of 2
        Assert.Throws<ArgumentException>(() => SinkAttentionBlock.Attend<float>(new float[4], new float[3], 2, new byte[1], 1f, sinks, new float[1024], new float[4]));
        // mask of 3 for 1 token x 2 keys
        Assert.Throws<ArgumentException>(() => SinkAttentionBlock.Attend<float>(new float[4], new float[4], 2, new byte[3], 1f, sinks, new float[1024], new float[4]));
        // query not whole tokens
        Assert.Throws<ArgumentException>(() => SinkAttentionBlock.Attend<float>(new float[5], new float[4], 2, new byte[2], 1f, sinks, new float[1024], new float[4]));
        // destination and scratch too short
        Assert.Throws<ArgumentException>(() => SinkAttentionBlock.Attend<float>(new float[4], new float[4], 2, new byte[2], 1f, sinks, new float[1024], new float[3]));
        Assert.Throws<ArgumentException>(() => SinkAttentionBlock.Attend<float>(new float[4], new float[4], 2, new byte[2], 1f, sinks, new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => SinkAttentionBlock.Attend<float>(new float[4], new float[4], 0, new byte[2], 1f, sinks, new float[1024], new float[4]));
    }
}

public unsafe class SinkAttentionTransposeTests
{
    [Fact]
    public void SixteenBySixteenBlocksTransposeExactly()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;   // the register transpose needs AVX-512
        const int ls = 21, ld = 37;
        var src = new float[16 * ls];
        for (int i = 0; i < src.Length; i++) src[i] = i * 1.5f - 7;
        var dst = new float[16 * ld];
        fixed (float* s = src, d = dst) SinkAttentionBlock.Transpose16(s + 2, ls, d + 3, ld);
        for (int r = 0; r < 16; r++)
            for (int c = 0; c < 16; c++) Assert.Equal(src[r * ls + 2 + c], dst[c * ld + 3 + r]);
    }
}
