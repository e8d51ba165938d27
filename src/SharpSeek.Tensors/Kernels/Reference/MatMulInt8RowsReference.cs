// The plain twin of MatMulInt8Rows (int8 activations x GGUF Q8_0 / MXFP4 or official FP4 rows, fewer than 16 tokens):
// activations by ActivationInt8Reference, each weight read from its format as an integer
// (MatMulInt8Reference.Row). Per 32-block 8 lanes, each the exact sum of 4 consecutive products; each lane
// is added as float(lane) * (sw * sx) with one fused multiply-add into accumulator b mod 4 (blocks in
// order within an accumulator); the row's result is (a0 + a1) + (a2 + a3) per lane, then lanes i + 4,
// then i + 2, then 0 + 1. MXFP4's and FP4's lanes use each weight + 12 (E2M1 x 2 + 12, 0..24, as the kernel looks
// them up); the bias comes out once per row: bias lane b mod 8 gathers (sw * sx) * (12 x the block's code
// sum) by fused multiply-adds in block order, and the row is the sum above minus bias's lanes summed
// (i + 4, i + 2, 0 + 1).
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Kernels.Reference;

public static unsafe class MatMulInt8RowsReference
{
    /// <summary>Accumulators: block b goes to accumulator b mod Accumulators.</summary>
    public const int Accumulators = 4;

    /// <summary>y[t, o] for a GGUF Q8_0 or MXFP4 weight with each token's x quantised to int8 per 32.</summary>
    public static void Forward(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows, blocks = n / 32;
        var q = new sbyte[tokens * n];
        var sx = new float[tokens * blocks];
        var sums = new int[tokens * blocks];
        ActivationInt8Reference.Quantize(x, tokens, n, q, sx, sums);
        var wi = new int[n];
        var sw = new float[blocks];
        int bias = w.Format == WeightFormat.Fp4Block32 || w.Blocks.Type == GgmlType.MXFP4 ? MxBias : 0;
        for (int o = 0; o < m; o++)
        {
            MatMulInt8Reference.Row(w, o, wi, sw);
            for (int t = 0; t < tokens; t++)
            {
                var acc = new float[Accumulators * 8];
                var biasLanes = new float[8];
                for (int b = 0; b < blocks; b++)
                {
                    float scale = sw[b] * sx[t * blocks + b];
                    for (int l = 0; l < 8; l++)
                    {
                        int lane = 0;
                        for (int k = 0; k < 4; k++) lane += (wi[32 * b + 4 * l + k] + bias) * q[t * n + 32 * b + 4 * l + k];
                        ref float a = ref acc[b % Accumulators * 8 + l];
                        a = MathF.FusedMultiplyAdd(lane, scale, a);
                    }
                    if (bias != 0) biasLanes[b % 8] = MathF.FusedMultiplyAdd(scale, bias * sums[t * blocks + b], biasLanes[b % 8]);
                }
                y[t * m + o] = bias != 0 ? Reduce(acc) - SumLanes(biasLanes) : Reduce(acc);   // Q8_0 has no bias term
            }
        }
    }

    /// <summary>
    /// One row of ggml blocks against prepared activation codes and scales (the kernel's scalar path on
    /// CPUs without AVX2): the same lanes and order, weights decoded one by one.
    /// </summary>
    internal static float Dot(Int8.Int8RowFormat format, byte* row, byte* fp4Scales, sbyte* q, float* sx, int blocks)
    {
        bool mxfp4 = format == Int8.Int8RowFormat.Mxfp4, fp4 = format == Int8.Int8RowFormat.Fp4;
        Span<float> acc = stackalloc float[Accumulators * 8];
        Span<float> biasLanes = stackalloc float[8];
        acc.Clear();
        biasLanes.Clear();
        int bias = mxfp4 || fp4 ? MxBias : 0;
        for (int b = 0; b < blocks; b++)
        {
            float sw;
            byte* blk;
            if (mxfp4) { blk = row + 17L * b; sw = MathF.ScaleB(1f, blk[0] - 128); }
            else if (fp4) { blk = row + 16L * b; sw = Codecs.Fp8E8M0.Decode(fp4Scales[b]) / 2; }
            else { blk = row + 34L * b; sw = Codecs.F16.Decode((ushort)(blk[0] | blk[1] << 8)); }
            float scale = sw * sx[b];
            int codeSum = 0;
            for (int l = 0; l < 8; l++)
            {
                int lane = 0;
                for (int k = 0; k < 4; k++)
                {
                    int i = 4 * l + k;
                    int wv = mxfp4 ? MatMulInt8Reference.Doubled(i < 16 ? blk[1 + i] & 0xF : blk[1 + i - 16] >> 4)
                        : fp4 ? MatMulInt8Reference.Doubled(i % 2 == 0 ? blk[i / 2] & 0xF : blk[i / 2] >> 4)
                        : (sbyte)blk[2 + i];
                    lane += (wv + bias) * q[32 * b + i];
                    codeSum += q[32 * b + i];
                }
                ref float a = ref acc[b % Accumulators * 8 + l];
                a = MathF.FusedMultiplyAdd(lane, scale, a);
            }
            if (bias != 0) biasLanes[b % 8] = MathF.FusedMultiplyAdd(scale, bias * codeSum, biasLanes[b % 8]);
        }
        return bias != 0 ? Reduce(acc) - SumLanes(biasLanes) : Reduce(acc);   // Q8_0 has no bias term
    }

    /// <summary>What MXFP4's doubled E2M1 values carry in the lanes (E2M1 x 2 + 12, 0..24: unsigned for the byte multiply).</summary>
    private const int MxBias = 12;

    /// <summary>acc [4][8]: (a0 + a1) + (a2 + a3) per lane, then lanes i + 4, then i + 2, then 0 + 1.</summary>
    internal static float Reduce(ReadOnlySpan<float> acc)
    {
        Span<float> v = stackalloc float[8];
        for (int l = 0; l < 8; l++) v[l] = (acc[l] + acc[8 + l]) + (acc[16 + l] + acc[24 + l]);
        return SumLanes(v);
    }

    /// <summary>v [8]: lanes i + 4, then i + 2, then 0 + 1.</summary>
    internal static float SumLanes(ReadOnlySpan<float> v)
    {
        Span<float> s4 = stackalloc float[4];
        for (int i = 0; i < 4; i++) s4[i] = v[i] + v[i + 4];
        float s20 = s4[0] + s4[2], s21 = s4[1] + s4[3];
        return s20 + s21;
    }
}
