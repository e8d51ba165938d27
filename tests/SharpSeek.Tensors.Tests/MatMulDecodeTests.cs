// The matmul's row decoders against their scalar twin (the codec tables, as WeightMatrix.DecodeRow
// uses them): bit for bit, every code and every scale code, run lengths 0..300 (NaN codes and a NaN
// scale only need to stay NaN). Covers the AVX-512 VBMI FP8 path where the CPU has it.
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Kernels;

namespace SharpSeek.Tensors.Tests;

public unsafe class MatMulDecodeTests
{
    private static void AssertSame(float expected, float actual, string what)
    {
        if (float.IsNaN(expected)) Assert.True(float.IsNaN(actual), $"{what}: expected NaN, got {actual}");
        else Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual), $"{what}: expected {expected}, got {actual}");
    }

    [Fact]
    public void Fp8RunsEqualTheTableBitForBit()
    {
        var rng = new Random(11);
        for (int len = 0; len <= 300; len++)
        {
            byte[] codes = new byte[len], scales = new byte[(len + 127) / 128 + 1];
            for (int j = 0; j < len; j++) codes[j] = (byte)(j < 256 ? (j * 73 + len) & 0xFF : rng.Next(256));
            for (int b = 0; b < scales.Length; b++) scales[b] = (byte)(b == 0 ? 100 + len % 40 : rng.Next(256));
            float[] dst = new float[len];
            fixed (byte* c = codes, s = scales)
            fixed (float* d = dst)
                MatMulDecode.Fp8(c, s, len, d);
            for (int j = 0; j < len; j++)
                AssertSame(Fp8E4M3.Table[codes[j]] * Fp8E8M0.Decode(scales[j / 128]), dst[j], $"len {len} j {j} code {codes[j]:X2} scale {scales[j / 128]}");
        }
    }

    [Fact]
    public void Fp8Vbmi64EqualsTheTableForEveryCodeAndScale()
    {
        if (!MatMulDecodeVbmi.IsSupported) return;   // covered by the portable paths above
        byte[] codes = new byte[256];
        for (int c = 0; c < 256; c++) codes[c] = (byte)((c * 37 + 5) & 0xFF);   // every code, shuffled over the lanes
        float[] dst = new float[256];
        var tables = new MatMulDecodeVbmi.Tables();
        for (int k = 0; k < 256; k++)
        {
            float sc = Fp8E8M0.Decode((byte)k);
            fixed (byte* c = codes)
            fixed (float* d = dst)
                for (int i = 0; i < 256; i += 64) MatMulDecodeVbmi.Decode64(c + i, System.Runtime.Intrinsics.Vector512.Create(sc), tables, d + i);
            for (int j = 0; j < 256; j++) AssertSame(Fp8E4M3.Table[codes[j]] * sc, dst[j], $"code {codes[j]:X2} scale {k}");
        }
    }
}

public class E4M3RowsTests
{
    [Fact]
    public void ScaledEqualsTheScalarTwinBitForBit()
    {
        var rng = new Random(12);
        foreach (float scale in new[] { 1f, 0.5f, MathF.ScaleB(1f, -20), MathF.ScaleB(1f, 12), MathF.ScaleB(1f, -130) })
            for (int len = 0; len <= 300; len++)
            {
                byte[] codes = new byte[len];
                for (int j = 0; j < len; j++) codes[j] = (byte)(j < 256 ? (j * 91 + len) & 0xFF : rng.Next(256));
                float[] fast = new float[len], slow = new float[len];
                Kernels.E4M3Rows.Scaled(codes, scale, fast);
                Kernels.Reference.E4M3RowsReference.Scaled(codes, scale, slow);
                for (int j = 0; j < len; j++)
                    if (float.IsNaN(slow[j])) Assert.True(float.IsNaN(fast[j]));
                    else Assert.True(BitConverter.SingleToUInt32Bits(slow[j]) == BitConverter.SingleToUInt32Bits(fast[j]), $"len {len} j {j} code {codes[j]:X2} scale {scale}: {slow[j]} vs {fast[j]}");
            }
    }
}

public class E2M1RowsTests
{
    [Fact]
    public void ScaledEqualsTheScalarTwinBitForBit()
    {
        var rng = new Random(13);
        foreach (float scale in new[] { 1f, 0.25f, MathF.ScaleB(1f, -20), MathF.ScaleB(1f, 12), MathF.ScaleB(1f, -140) })
            for (int count = 0; count <= 300; count += 2)
            {
                byte[] packed = new byte[count / 2];
                rng.NextBytes(packed);
                float[] fast = new float[count], slow = new float[count];
                Kernels.E2M1Rows.Scaled(packed, count, scale, fast);
                Kernels.Reference.E2M1RowsReference.Scaled(packed, count, scale, slow);
                for (int j = 0; j < count; j++)
                    Assert.True(BitConverter.SingleToUInt32Bits(slow[j]) == BitConverter.SingleToUInt32Bits(fast[j]), $"count {count} j {j} scale {scale}: {slow[j]} vs {fast[j]}");
            }
    }
}
