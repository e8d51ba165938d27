// Finite-difference checks of every backward the V4 training graph uses (tolerances in GradCheck).
using SharpSeek.Tensors.Kernels;
using SharpSeek.Training.Autograd;

namespace SharpSeek.Training.Tests;

public sealed class OpGradientTests
{
    private static Tensor R(int rows, int cols, ulong seed, float scale = 1f, float offset = 0f) => GradCheck.Random(rows, cols, seed, scale, offset);

    [Fact] public void Linear() { var x = R(3, 5, 1); var w = R(4, 5, 2); GradCheck.Check(t => t.Linear(x, w), [x, w], name: "linear"); }
    [Fact] public void GroupedLinear() { var x = R(3, 6, 1); var w = R(4, 3, 2); GradCheck.Check(t => t.GroupedLinear(x, w, 2), [x, w], name: "grouped"); }
    [Fact] public void Embedding() { var e = R(5, 3, 1); GradCheck.Check(t => t.Embedding(e, [1, 3, 1]), [e], name: "embedding"); }
    [Fact] public void RmsNormWithWeight() { var x = R(3, 8, 1); var w = R(1, 8, 2, 0.5f, 1f); GradCheck.Check(t => t.RmsNorm(x, w, 1e-6f), [x, w], name: "rmsnorm"); }
    [Fact] public void RmsNormNoWeight() { var x = R(3, 8, 1); GradCheck.Check(t => t.RmsNorm(x, null, 1e-6f), [x], name: "rmsnorm"); }
    [Fact] public void MulRowRms() { var m = R(2, 3, 1); var h = R(2, 8, 2); GradCheck.Check(t => t.MulRowRms(m, h, 1e-6f), [m, h], name: "mulrowrms"); }
    [Fact] public void Softmax() { var x = R(3, 5, 1, 2f); GradCheck.Check(t => t.Softmax(x), [x], name: "softmax"); }
    [Fact] public void Sigmoid() { var x = R(3, 5, 1, 3f); GradCheck.Check(t => t.Sigmoid(x), [x], name: "sigmoid"); }
    [Fact] public void SqrtSoftplus() { var x = R(3, 5, 1, 3f); GradCheck.Check(t => t.Sqrt(t.Softplus(x)), [x], name: "sqrtsoftplus"); }
    [Fact] public void AddMulScale() { var a = R(2, 3, 1); var b = R(2, 3, 2); GradCheck.Check(t => t.Scale(t.Mul(t.Add(a, b), b), 1.5f), [a, b], name: "addmul"); }
    [Fact] public void MulRowsAndScalar() { var x = R(3, 4, 1); var s = R(3, 1, 2); var p = R(1, 3, 3); GradCheck.Check(t => t.MulScalar(t.MulRows(x, s), p, 1), [x, s, p], name: "mulrows"); }
    [Fact] public void BiasAndPositional() { var x = R(8, 3, 1); var b = R(1, 5, 2); var ape = R(4, 3, 3); GradCheck.Check(t => t.AddPositional(t.AddBias(x, b, 2), ape, 8, 4), [x, b, ape], name: "bias"); }
    [Fact] public void SliceCols() { var x = R(3, 6, 1); GradCheck.Check(t => t.SliceCols(x, 2, 3), [x], name: "slice"); }

    [Fact]
    public void SwiGluWithClamp()
    {
        // values chosen away from the clamp kinks (|u| = 2 and g = 2 with limit 2 are not hit)
        var g = R(3, 6, 1, 4f); var u = R(3, 6, 2, 4f);
        for (int i = 0; i < g.Length; i++) { if (MathF.Abs(g.Data[i] - 2f) < 0.05f) g.Data[i] += 0.2f; if (MathF.Abs(MathF.Abs(u.Data[i]) - 2f) < 0.05f) u.Data[i] += 0.2f; }
        GradCheck.Check(t => t.SwiGlu(g, u, 2f), [g, u], name: "swiglu");
        GradCheck.Check(t => t.SwiGlu(g, u, 0f), [g, u], name: "swiglu-noclamp");
    }

    [Fact]
    public void SinkhornIterations()
    {
        var c = R(2, 16, 1, 2f);
        GradCheck.Check(t =>
        {
            Tensor x = t.AddConst(t.Softmax(c.View(8, 4)), 1e-6f).View(2, 16);
            x = t.NormalizeMatrixCols(x, 4, 1e-6f);
            for (int i = 1; i < 20; i++) x = t.NormalizeMatrixCols(t.NormalizeMatrixRows(x, 4, 1e-6f), 4, 1e-6f);
            return x;
        }, [c], name: "sinkhorn");
        GradCheck.Check(t => t.Sinkhorn(t.AddConst(t.Softmax(c.View(8, 4)), 1e-6f).View(2, 16), 4, 20, 1e-6f), [c], name: "sinkhorn-fused");
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(20, 4)]
    [InlineData(7, 3)]
    public void FusedSinkhornEqualsTheChainBitForBit(int iters, int n)
    {
        // 300 matrices so the parallel loop splits them; the plain twin is the chain of single normalisations
        var c = R(300, n * n, 3, 2f);
        (float[] Y, float[] G) Run(bool fused)
        {
            var tape = new Tape();
            var x = Tensor.Zeros(c.Rows, c.Cols, requiresGrad: true);
            c.Data.CopyTo(x.Data, 0);
            Tensor y = tape.AddConst(tape.Softmax(x.View(c.Rows * n, n)), 1e-6f).View(c.Rows, n * n);
            if (fused) y = tape.Sinkhorn(y, n, iters, 1e-6f);
            else
            {
                y = tape.NormalizeMatrixCols(y, n, 1e-6f);
                for (int i = 1; i < iters; i++) y = tape.NormalizeMatrixCols(tape.NormalizeMatrixRows(y, n, 1e-6f), n, 1e-6f);
            }
            var w = R(c.Rows, n * n, 4);
            tape.Backward(tape.WeightedSum([Sum(tape, tape.Mul(y, w))], [1f]));
            return ((float[])y.Data.Clone(), (float[])x.G.Clone());
        }
        var (yf, gf) = Run(fused: true);
        var (yc, gc) = Run(fused: false);
        Assert.Equal(yc, yf);
        Assert.Equal(gc, gf);
    }

    [Fact]
    public void StreamsCollapseAndPost()
    {
        var h = R(2, 12, 1); var w = R(2, 4, 2); var f = R(2, 3, 3); var post = R(2, 4, 4); var comb = R(2, 16, 5);
        GradCheck.Check(t => t.Collapse(h, w), [h, w], name: "collapse");
        GradCheck.Check(t => t.HcPost(f, h, post, comb), [f, h, post, comb], name: "hcpost");
        var add = R(2, 12, 6);
        GradCheck.Check(t => t.Repeat(f, 4, add), [f, add], name: "repeat");
    }

    [Fact]
    public void RopeForwardAndInverse()
    {
        var rope = new RopeTable<float>(new RopeParameters(4, 10000, false, 1, 0, 0, 0));
        var x = R(3, 12, 1);
        long[] pos = [0, 5, 17];
        GradCheck.Check(t => t.Rope(x, 6, rope, pos), [x], name: "rope");
        GradCheck.Check(t => t.Rope(x, 6, rope, pos, inverse: true), [x], name: "rope-inv");
    }

    [Fact] public void HadamardOp() { var x = R(2, 16, 1); GradCheck.Check(t => t.Hadamard(x, 8, 1f / MathF.Sqrt(8)), [x], name: "hadamard"); }

    [Fact]
    public void FakeQuantIsStraightThrough()
    {
        var x = R(2, 64, 1, 3f);
        var tape = new Tape();
        Tensor y = tape.FakeQuantSte(x, 64, 64, 32, fp4: true);
        Tensor y8 = tape.FakeQuantSte(x, 64, 64, 64, fp4: false);
        Assert.NotEqual(x.Data, y.Data);                      // the values are rounded
        Tensor loss = tape.WeightedSum([Sum(tape, y), Sum(tape, y8)], [1f, 2f]);
        tape.Backward(loss);
        Assert.All(x.G, g => Assert.Equal(3f, g));           // the gradient passes through unchanged
    }

    private static Tensor Sum(Tape tape, Tensor y)
    {
        Tensor s = Tape.Output(1, 1, y);
        foreach (float v in y.Data) s.Data[0] += v;
        tape.Record(s, () => { for (int i = 0; i < y.Length; i++) y.G[i] += s.G[0]; });
        return s;
    }

    [Fact]
    public void RouteGatherScatter()
    {
        var s = R(3, 4, 1, 1f, 2f); var x = R(3, 2, 2);
        int[] idx = [0, 2, 1, 3, 2, 0];
        GradCheck.Check(t => t.RouteWeights(s, idx, 2, 1.5f, normalize: true), [s], name: "route");
        GradCheck.Check(t => t.RouteWeights(s, idx, 2, 1.5f, normalize: false), [s], name: "route-softmax");
        GradCheck.Check(t => t.GatherRows(x, [2, 0, 2]), [x], name: "gather");
        GradCheck.Check(t => t.GatherFlat(s, [3, 7, 3]), [s], name: "gatherflat");
        var a = R(2, 2, 3); var b = R(1, 2, 4);
        GradCheck.Check(t => t.ScatterAdd(3, 2, [(a, [0, 2]), (b, [0])]), [a, b], name: "scatter");
    }

    [Fact]
    public void SinkAttentionWithWindowAndCompressedKeys()
    {
        int B = 2, T = 8, H = 2, D = 4, win = 3, ratio = 2, M = T / ratio;
        var q = R(B * T, H * D, 1); var kv = R(B * T, D, 2); var cmp = R(B * M, D, 3); var sink = R(1, H, 4);
        var chosen = new int[B * T][];
        for (int i = 0; i < B * T; i++) { int vis = (i % T + 1) / ratio; chosen[i] = Enumerable.Range(0, vis).Where(j => j % 2 == 0 || j == vis - 1).Distinct().ToArray(); }
        var sh = new AttentionShape(B, T, H, D, win, ratio);
        GradCheck.Check(t => t.SinkAttention(q, kv, cmp, sink, sh, chosen), [q, kv, cmp, sink], name: "attention");
        GradCheck.Check(t => t.SinkAttention(q, kv, null, sink, sh with { Ratio = 0 }, null), [q, kv, sink], name: "attention-window");
    }

    [Fact]
    public void CompressorPooling()
    {
        int B = 2, T = 8, hd = 3;
        var a = R(B * T, 2 * hd, 1); var s = R(B * T, 2 * hd, 2, 2f);
        GradCheck.Check(t => t.CompressorPool(a, s, B, T, 4, hd, overlap: true), [a, s], name: "pool-overlap");
        var a1 = R(B * T, hd, 3); var s1 = R(B * T, hd, 4, 2f);
        GradCheck.Check(t => t.CompressorPool(a1, s1, B, T, 4, hd, overlap: false), [a1, s1], name: "pool");
    }

    [Fact]
    public void IndexerScoresAndKl()
    {
        int B = 1, T = 8, ih = 2, id = 4, M = T / 4;
        var iq = R(B * T, ih * id, 1); var iw = R(B * T, ih, 2); var ik = R(B * M, id, 3);
        GradCheck.Check(t => MaskInf(t, t.IndexerScores(iq, iw, ik, B, T, 4)), [iq, iw, ik], name: "indexer", atol: 5e-3);
        var sc = R(B * T, M, 4);
        var target = new float[B * T][];
        for (int i = 0; i < B * T; i++) { int vis = (i + 1) / 4; target[i] = vis == 0 ? [] : Enumerable.Repeat(1f / vis, vis).ToArray(); if (vis == 2) target[i] = [0.7f, 0.3f]; }
        GradCheck.Check(t => t.IndexerKl(sc, target), [sc], name: "kl");
    }

    private static Tensor MaskInf(Tape tape, Tensor x)
    {
        Tensor y = Tape.Output(x.Rows, x.Cols, x);
        for (int i = 0; i < x.Length; i++) y.Data[i] = float.IsNegativeInfinity(x.Data[i]) ? 0f : x.Data[i];
        tape.Record(y, () => { for (int i = 0; i < x.Length; i++) if (!float.IsNegativeInfinity(x.Data[i])) x.G[i] += y.G[i]; });
        return y;
    }

    [Fact]
    public void CrossEntropyAndWeightedSum()
    {
        var l = R(4, 6, 1, 2f);
        GradCheck.Check(t => t.CrossEntropy(l, [2, -1, 5, 0]), [l], name: "ce");
    }
}
