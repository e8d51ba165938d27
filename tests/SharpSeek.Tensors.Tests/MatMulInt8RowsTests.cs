// The one-row int8-activation product of fewer than 16 tokens (Kernels/Int8/MatMulInt8Rows and Int8RowDot,
// GGUF Q8_0 and MXFP4, official FP4) against its scalar twin MatMulInt8RowsReference bit for bit: odd row counts, lengths
// around the 8-block step (tails of 1..7 blocks), 1 to 15 tokens, extreme scales and -128 codes, one thread
// and the worker team; a token's row the same in every product of 1..15 tokens; MatMulBatch (with w1/w3
// sharing one quantised input) equal to single products; the vector f16 / e8m0 scale widening against
// the scalar decoders for every code (Q8_0's f16 table, MXFP4's e8m0 widening); and the quantisation error bound against the exact product.
// Run also with DOTNET_EnableAVX2=0 (the scalar path) and DOTNET_EnableAVX512=0 (on .NET 10 DOTNET_EnableAVX512F=0
// leaves AVX-512 on: Avx512BW.IsSupported stays true).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tensors.Kernels;
using SharpSeek.Tensors.Kernels.Int8;
using SharpSeek.Tensors.Kernels.Reference;

namespace SharpSeek.Tensors.Tests;

public sealed unsafe class MatMulInt8RowsTests
{
    public static TheoryData<int, int, int, int> Shapes() => new()
    {
        { 2, 1, 32, 1 }, { 2, 5, 96, 3 }, { 2, 33, 256, 1 }, { 2, 7, 288, 15 }, { 2, 70, 1056, 2 }, { 2, 600, 512, 1 },
        { 1, 1, 32, 1 }, { 1, 9, 224, 4 }, { 1, 33, 256, 1 }, { 1, 6, 544, 15 }, { 1, 70, 1056, 1 }, { 1, 600, 512, 2 },
        { 0, 1, 32, 1 }, { 0, 9, 224, 4 }, { 0, 33, 256, 1 }, { 0, 6, 544, 15 }, { 0, 70, 1056, 1 }, { 0, 600, 512, 2 }, { 0, 5, 160, 3 },
        // every tail of 1..7 blocks after the groups of 8, and every accumulator b mod 4 ending a row
        { 2, 3, 64, 2 }, { 1, 4, 128, 1 }, { 2, 5, 160, 5 }, { 1, 3, 192, 3 }, { 2, 2, 416, 1 }, { 1, 2, 480, 2 }, { 2, 3, 736, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ProductEqualsItsTwinBitForBit(int gguf, int rows, int cols, int tokens)
    {
        var rng = new Random(rows * 37 + cols + tokens);
        (WeightMatrix w, object keep) = MatMulInt8Tests.Weight(gguf, rows, cols, rng);
        Assert.True(MatMulInt8Rows.Handles(w, tokens));
        float[] x = MatMulInt8Tests.Activations(tokens, cols, rng);
        float[] y = new float[tokens * rows], yr = new float[tokens * rows];
        MatMul.ForwardF32(x, w, y, tokens);   // as the model runs it (the worker team for the 600-row cases)
        MatMulInt8RowsReference.Forward(x, w, yr, tokens);
        Assert.Equal(yr, y);
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ATokensRowIsTheSameInEveryShortProduct(int gguf)
    {
        var rng = new Random(11 + gguf);
        (WeightMatrix w, object keep) = MatMulInt8Tests.Weight(gguf, 41, 320, rng);
        float[] x = MatMulInt8Tests.Activations(15, 320, rng);
        float[] all = new float[15 * 41];
        MatMul.ForwardF32(x, w, all, 15);
        foreach (int t in new[] { 0, 6, 14 })
        {
            float[] one = new float[41];
            MatMul.ForwardF32(x.AsSpan(t * 320, 320), w, one, 1);
            Assert.Equal(all.AsSpan(t * 41, 41).ToArray(), one);
        }
        GC.KeepAlive(keep);
    }

    [Fact]
    public void BatchedProductsEqualSingleProducts()
    {
        var rng = new Random(12);
        (WeightMatrix w1, object k1) = MatMulInt8Tests.Weight(1, 48, 256, rng);
        (WeightMatrix w3, object k3) = MatMulInt8Tests.Weight(1, 48, 256, rng);
        (WeightMatrix q8, object k8) = MatMulInt8Tests.Weight(2, 20, 256, rng);
        (WeightMatrix w2, object k2) = MatMulInt8Tests.Weight(1, 256, 64, rng);
        float[] x = MatMulInt8Tests.Activations(1, 256, rng), h = MatMulInt8Tests.Activations(1, 64, rng);
        var single = new[] { new float[48], new float[48], new float[20], new float[256] };
        MatMul.ForwardF32(x, w1, single[0], 1);
        MatMul.ForwardF32(x, w3, single[1], 1);
        MatMul.ForwardF32(x, q8, single[2], 1);
        MatMul.ForwardF32(h, w2, single[3], 1);
        var batch = new[] { new float[48], new float[48], new float[20], new float[256] };
        fixed (float* px = x, ph = h, a = batch[0], b = batch[1], c = batch[2], d = batch[3])
            MatMulBatch.Forward([new(w1, px, a, 1), new(w3, px, b, 1), new(q8, px, c, 1), new(w2, ph, d, 1)], 4);   // w1, w3 share one quantised input
        for (int i = 0; i < 4; i++) Assert.Equal(single[i], batch[i]);
        GC.KeepAlive(k1); GC.KeepAlive(k3); GC.KeepAlive(k8); GC.KeepAlive(k2);
    }

    [Fact]
    public void VectorScaleWideningEqualsTheScalarDecoders()
    {
        if (!Avx2.IsSupported) return;   // the scalar path decodes one scale at a time (covered by the products above)
        for (int c = 0; c < 65536; c++)   // Q8_0's scales come from the table
            Assert.Equal(BitConverter.SingleToUInt32Bits(F16.Decode((ushort)c)), BitConverter.SingleToUInt32Bits(F16Table.Values[c]));
        for (int e = 0; e < 256; e += 8)
        {
            Vector256<float> v = Int8RowDot.E8M0x8(Vector256.Create(e, e + 1, e + 2, e + 3, e + 4, e + 5, e + 6, e + 7));
            for (int k = 0; k < 8; k++) Assert.Equal(MathF.ScaleB(1f, e + k - 128), v[k]);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void ErrorAgainstTheExactProductIsTheQuantisationError(int gguf)
    {
        MatMulInt8Tests.AssertWithinTheQuantisationError(gguf, new Random(13 + gguf), rows: 23, tokens: 3);
    }

    [Fact]
    public void OnlyShortInt8ProductsOfIntegerFormatsTakeIt()
    {
        var rng = new Random(14);
        (WeightMatrix q8, object k8) = MatMulInt8Tests.Weight(2, 8, 64, rng);
        (WeightMatrix fp4, object k4) = MatMulInt8Tests.Weight(0, 8, 64, rng);
        Assert.True(MatMulInt8Rows.Handles(q8, MatMulInt8.MinTokens - 1));
        Assert.False(MatMulInt8Rows.Handles(q8, MatMulInt8.MinTokens));
        Assert.False(MatMulInt8Rows.Handles(q8.WithActivations(ActivationPath.Exact), 1));
        Assert.True(MatMulInt8Rows.Handles(fp4, 1));   // official FP4 too
        Assert.False(MatMulInt8Rows.Handles(fp4.WithActivations(ActivationPath.Exact), 1));
        var bf16 = new WeightMatrix("w.bf16", WeightFormat.BF16, 8, 64, (byte*)0, null).WithActivations(ActivationPath.Int8);
        Assert.False(MatMulInt8Rows.Handles(bf16, 1));   // no integer weights: the float path
        Assert.Contains("no one-row int8 product", Assert.Throws<NotSupportedException>(() => { fixed (float* p = new float[64]) MatMulInt8Rows.Forward(p, bf16, p, 1); }).Message);
        GC.KeepAlive(k8); GC.KeepAlive(k4);
    }
}
