// The int8-activation product (Kernels/Int8) against its scalar twins: the per-32 activation
// quantiser bit for bit (ties, zero blocks, extreme magnitudes), the int8 product bit for bit
// against MatMulInt8Reference (official Fp4Block32, GGUF MXFP4 and Q8_0 with -128 codes, odd row counts around the
// 16-row tile, token counts around the 4-token group, lengths not a multiple of the vector width in
// blocks, extreme block scales), a token's row the same in any batch, the batched products, and the
// quantisation error within its bound against the exact float product.
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Int8;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public sealed unsafe class MatMulInt8Tests
{
    internal static float[] Activations(int tokens, int n, Random rng)
    {
        var x = new float[tokens * n];
        for (int b = 0; b < x.Length / 32; b++)
        {
            int kind = rng.Next(6);
            double mag = kind switch { 0 => 1e-30, 1 => 1e30, 2 => 1e-40, _ => Math.Pow(10, rng.Next(-3, 3)) };
            for (int i = 0; i < 32; i++) x[b * 32 + i] = kind == 3 && i > 0 ? 0 : (float)((rng.NextDouble() * 2 - 1) * mag);
            if (kind == 4)   // exact ties: max 127 so x * 127 / max = x, and halves round to even
                for (int i = 0; i < 32; i++) x[b * 32 + i] = i == 0 ? 127f : (rng.Next(-254, 255) / 2f);
        }
        if (x.Length >= 64) Array.Clear(x, 32, 32);   // an all-zero block
        return x;
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(3, 64)]
    [InlineData(5, 96)]
    [InlineData(2, 1056)]
    public void QuantizeEqualsItsTwin(int tokens, int n)
    {
        var rng = new Random(tokens * 1000 + n);
        float[] x = Activations(tokens, n, rng);
        int blocks = tokens * n / 32;
        sbyte[] q = new sbyte[tokens * n], qr = new sbyte[tokens * n];
        float[] s = new float[blocks], sr = new float[blocks];
        int[] sum = new int[blocks], sumr = new int[blocks];
        fixed (float* px = x, ps = s) fixed (sbyte* pq = q) fixed (int* pm = sum) ActivationInt8.Quantize(px, tokens, n, pq, ps, pm);
        ActivationInt8Reference.Quantize(x, tokens, n, qr, sr, sumr);
        Assert.Equal(qr, q);
        Assert.Equal(sr, s);
        Assert.Equal(sumr, sum);
        Assert.Contains(q, v => v is 127 or -127);
        Assert.All(q, v => Assert.InRange(v, -127, 127));
    }

    [Fact]
    public void QuantizeEqualsItsTwinOnNonFiniteBlocks()
    {
        // NaN, infinities and a subnormal maximum (127 / max overflows) leave the fast block path for the general one
        var rng = new Random(12);
        float[] x = Activations(2, 256, rng);
        x[3] = float.NaN; x[40] = float.PositiveInfinity; x[70] = float.NegativeInfinity; x[100] = float.NaN; x[101] = float.PositiveInfinity;
        for (int i = 128; i < 160; i++) x[i] = i % 2 == 0 ? 1e-44f : 0f;
        int blocks = x.Length / 32;
        sbyte[] q = new sbyte[x.Length], qr = new sbyte[x.Length];
        float[] s = new float[blocks], sr = new float[blocks];
        int[] sum = new int[blocks], sumr = new int[blocks];
        fixed (float* px = x, ps = s) fixed (sbyte* pq = q) fixed (int* pm = sum) ActivationInt8.Quantize(px, 2, 256, pq, ps, pm);
        ActivationInt8Reference.Quantize(x, 2, 256, qr, sr, sumr);
        Assert.Equal(qr, q);
        Assert.Equal(sr, s);
        Assert.Equal(sumr, sum);
    }

    [Fact]
    public void QuantizeRejectsRowsNotOfWholeBlocks()
    {
        var e = Assert.Throws<ArgumentException>(() => ActivationInt8Reference.Quantize(new float[40], 1, 40, new sbyte[40], new float[2], new int[2]));
        Assert.Contains("multiple of 32", e.Message);
    }

    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 0, 1, 32, 1 }, { 0, 15, 96, 2 }, { 0, 16, 64, 13 }, { 0, 17, 1056, 16 }, { 0, 70, 160, 30 }, { 0, 70, 2048, 150 },
        { 1, 1, 32, 3 }, { 1, 17, 96, 17 }, { 1, 33, 1056, 16 }, { 1, 48, 64, 5 },
        { 2, 1, 32, 1 }, { 2, 15, 96, 18 }, { 2, 33, 1056, 14 }, { 2, 64, 160, 21 },
        // tile pairs: an odd tile count (48, 80 rows), a partial second tile (40), split across the team (m n T >= 2^19)
        { 0, 48, 2048, 19 }, { 1, 80, 1024, 70 }, { 2, 80, 2048, 40 }, { 2, 40, 512, 33 }, { 1, 1000, 96, 64 },
        // quantised by token rows across the team (T n >= 2^18), Q8_0's negated codes too
        { 2, 40, 2048, 130 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ProductEqualsItsTwinBitForBit(int gguf, int rows, int cols, int tokens)
    {
        var rng = new Random(rows * 31 + cols + tokens);
        (WeightMatrix w, object keep) = Weight(gguf, rows, cols, rng);
        Assert.Equal(tokens >= MatMulInt8.MinTokens, MatMulInt8.Handles(w, tokens));
        float[] x = Activations(tokens, cols, rng);
        float[] y = new float[tokens * rows], yr = new float[tokens * rows];
        if (MatMulInt8.Handles(w, tokens)) MatMul.ForwardF32(x, w, y, tokens);   // as the model runs it
        else fixed (float* px = x, py = y) MatMulInt8.Forward(px, w, py, tokens);   // short products directly (the 4-token group's tail)
        MatMulInt8Reference.Forward(x, w.WithActivations(ActivationPath.Exact), yr, tokens);
        Assert.Equal(yr, y);
        GC.KeepAlive(keep);
    }

    [Fact]
    public void ATokensRowIsTheSameInAnyBatch()
    {
        var rng = new Random(5);
        (WeightMatrix w, object keep) = Weight(0, 37, 256, rng);
        float[] x = Activations(23, 256, rng);
        float[] all = new float[23 * 37], first = new float[17 * 37];
        MatMul.ForwardF32(x, w, all, 23);
        MatMul.ForwardF32(x.AsSpan(0, 17 * 256), w, first, 17);
        Assert.Equal(first, all.AsSpan(0, 17 * 37).ToArray());
        GC.KeepAlive(keep);
    }

    [Fact]
    public void BatchedProductsEqualSingleProducts()
    {
        var rng = new Random(6);
        (WeightMatrix a, object ka) = Weight(0, 40, 128, rng);
        (WeightMatrix b, object kb) = Weight(2, 24, 128, rng);
        const int T = 18;
        float[] x = Activations(T, 128, rng);
        float[] ya = new float[T * 40], yb = new float[T * 24], ra = new float[T * 40], rb = new float[T * 24];
        MatMul.ForwardF32(x, a, ra, T);
        MatMul.ForwardF32(x, b, rb, T);
        fixed (float* px = x, pa = ya, pb = yb)
            MatMulBatch.Forward([new MatMulProduct(a, px, pa, T), new MatMulProduct(b, px, pb, T)], 2);
        Assert.Equal(ra, ya);
        Assert.Equal(rb, yb);
        GC.KeepAlive(ka); GC.KeepAlive(kb);
    }

    [Theory]
    [InlineData(18, 0, 1)]     // official FP4 with MXFP4: one code kind, shared; on the calling thread
    [InlineData(70, 1, 1)]     // w1/w3-like MXFP4 pair, large enough for the worker team
    [InlineData(40, 2, 2)]     // Q8_0 pair (signed codes)
    public void ProductsOnOneInputShareItsQuantisationWithTheSameBits(int tokens, int first, int second)
    {
        // three products on one input: the first two share a quantisation and a region, the third runs alone
        var rng = new Random(tokens + first);
        (WeightMatrix a, object ka) = Weight(first, 80, 1024, rng);
        (WeightMatrix b, object kb) = Weight(second, 48, 1024, rng);
        (WeightMatrix c, object kc) = Weight(second, 40, 1024, rng);
        Assert.True(MatMulInt8.CanShare(a, b, tokens));
        Assert.True(MatMulBatch.OneRegionPays(a, b, tokens));
        float[] x = Activations(tokens, 1024, rng);
        float[] ya = new float[tokens * 80], yb = new float[tokens * 48], yc = new float[tokens * 40];
        fixed (float* px = x, pa = ya, pb = yb, pc = yc)
            MatMulBatch.Forward([new MatMulProduct(a, px, pa, tokens), new MatMulProduct(b, px, pb, tokens), new MatMulProduct(c, px, pc, tokens)], 3);
        Assert.Equal(Single(x, a, tokens), ya);
        Assert.Equal(Single(x, b, tokens), yb);
        Assert.Equal(Single(x, c, tokens), yc);
        GC.KeepAlive(ka); GC.KeepAlive(kb); GC.KeepAlive(kc);
    }

    [Fact]
    public void ProductsThatCannotShareAnInputAreRefused()
    {
        var rng = new Random(13);
        (WeightMatrix fp4, object k1) = Weight(0, 16, 64, rng);
        (WeightMatrix q8, object k2) = Weight(2, 16, 64, rng);
        (WeightMatrix wide, object k3) = Weight(0, 16, 128, rng);
        Assert.False(MatMulInt8.CanShare(fp4, q8, 32));
        Assert.False(MatMulInt8.CanShare(fp4, wide, 32));
        Assert.False(MatMulInt8.CanShare(fp4, fp4, MatMulInt8.MinTokens - 1));
        var y = new float[32 * 16];
        var e = Assert.Throws<ArgumentException>(() => { fixed (float* py = y) { float* p = py; MatMulInt8.Forward(p, 1, fp4, p, q8, p); } });
        Assert.Contains("cannot share the quantised input", e.Message);
        GC.KeepAlive(k1); GC.KeepAlive(k2); GC.KeepAlive(k3);
    }

    private static float[] Single(float[] x, WeightMatrix w, int tokens)
    {
        var y = new float[tokens * w.Rows];
        MatMulInt8Reference.Forward(x, w.WithActivations(ActivationPath.Exact), y, tokens);
        return y;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ErrorAgainstTheExactProductIsTheQuantisationError(int gguf)
    {
        AssertWithinTheQuantisationError(gguf, new Random(7 + gguf), rows: 19, tokens: 20);
    }

    /// <summary>
    /// int8 against exact for a random weight of format <paramref name="gguf"/>: |x - sx q| <= sx / 2 per value, so
    /// |y_int8 - y_exact| <= sum_b (sx_b / 2) sum_i |w_i| (plus float rounding), and the int8 path must differ at all.
    /// </summary>
    internal static void AssertWithinTheQuantisationError(int gguf, Random rng, int rows, int tokens)
    {
        int cols = 288;
        (WeightMatrix w, object keep) = Weight(gguf, rows, cols, rng, moderateScales: true);
        float[] x = TestWeights.RandomFloats(tokens * cols, rng, 3);
        float[] y = new float[tokens * rows], exact = new float[tokens * rows], row = new float[cols];
        MatMul.ForwardF32(x, w, y, tokens);
        MatMul.ForwardF32(x, w.WithActivations(ActivationPath.Exact), exact, tokens);
        double worst = 0;
        for (int o = 0; o < rows; o++)
        {
            w.DecodeRow(o, row);
            for (int t = 0; t < tokens; t++)
            {
                double bound = 1e-5;
                for (int b = 0; b < cols / 32; b++)
                {
                    double amax = 0, wsum = 0;
                    for (int i = 32 * b; i < 32 * b + 32; i++) { amax = Math.Max(amax, Math.Abs(x[t * cols + i])); wsum += Math.Abs(row[i]); }
                    bound += amax / 127 / 2 * wsum * 1.0001;
                }
                double err = Math.Abs(y[t * rows + o] - exact[t * rows + o]);
                Assert.True(err <= bound, $"row {o} token {t}: |int8 - exact| = {err} > {bound}");
                worst = Math.Max(worst, err / bound);
            }
        }
        Assert.True(worst > 0.01, "the int8 path should differ from the exact one (is it running?)");
        GC.KeepAlive(keep);
    }

    [Fact]
    public void ExactWeightsAndShortProductsStayOnTheFloatPath()
    {
        var rng = new Random(9);
        (WeightMatrix w, object keep) = Weight(0, 8, 64, rng);
        Assert.False(MatMulInt8.Handles(w.WithActivations(ActivationPath.Exact), 64));
        Assert.False(MatMulInt8.Handles(w, MatMulInt8.MinTokens - 1));
        Assert.False(MatMulInt8.Handles(TestWeights.Make(WeightFormat.BF16, 8, 64, rng).WithActivations(ActivationPath.Int8), 64));
        Assert.Equal(ActivationPath.Int8, ActivationPaths.Parse("INT8"));
        Assert.Contains("exact, int8", Assert.Throws<ArgumentException>(() => ActivationPaths.Parse("fp8")).Message);
        GC.KeepAlive(keep);
    }

    /// <summary>
    /// A matrix with int8 activations: kind 0 official FP4, 1 GGUF MXFP4, 2 GGUF Q8_0 (random codes, -128 included);
    /// block exponents span the E8M0 range (Q8_0: f16 scales from subnormal to large) unless moderate.
    /// </summary>
    internal static (WeightMatrix W, object Keep) Weight(int gguf, int rows, int cols, Random rng, bool moderateScales = false)
    {
        int blocks = rows * cols / 32;
        byte Exponent() => (byte)(moderateScales ? 120 + rng.Next(10) : rng.Next(5) switch { 0 => 1 + rng.Next(4), 1 => 250 + rng.Next(4), _ => 100 + rng.Next(50) });
        if (gguf == 2)
        {
            var d = GC.AllocateArray<byte>(blocks * 34, pinned: true);
            rng.NextBytes(d);
            for (int b = 0; b < blocks; b++)
            {
                float scale = moderateScales ? (float)(0.001 + rng.NextDouble() * 0.01) : rng.Next(3) switch { 0 => 1e-7f, 1 => 30000f, _ => (float)rng.NextDouble() };
                ushort h = BitConverter.HalfToUInt16Bits((Half)scale);
                d[b * 34] = (byte)h; d[b * 34 + 1] = (byte)(h >> 8);
                if (b % 3 == 0) d[b * 34 + 2] = 0x80;   // a -128 code
            }
            fixed (byte* p = d)
                return (new WeightMatrix("w.q8_0", GgmlTypes.Info(GgmlType.Q8_0), rows, cols, p, d).WithActivations(ActivationPath.Int8), d);
        }
        if (gguf == 0)
        {
            var d = GC.AllocateArray<byte>(rows * cols / 2, pinned: true);
            rng.NextBytes(d);
            var s = GC.AllocateArray<byte>(blocks, pinned: true);
            for (int i = 0; i < s.Length; i++) s[i] = Exponent();
            fixed (byte* p = d) fixed (byte* q = s)
                return (new WeightMatrix("w.fp4", WeightFormat.Fp4Block32, rows, cols, p, q, new object[] { d, s }).WithActivations(ActivationPath.Int8), new object[] { d, s });
        }
        var g = GC.AllocateArray<byte>(blocks * 17, pinned: true);
        rng.NextBytes(g);
        for (int b = 0; b < blocks; b++) g[b * 17] = Exponent();
        fixed (byte* p = g)
            return (new WeightMatrix("w.mxfp4", GgmlTypes.Info(GgmlType.MXFP4), rows, cols, p, g).WithActivations(ActivationPath.Int8), g);
    }
}
