// The plain twin of MatMulInt8 (int8 activations x FP4 / Q8_0 weights): activations quantised by
// ActivationInt8Reference, each weight read from its format as an integer (FP4: 2 x E2M1 value, so
// 0, ±1, ±2, ±3, ±4, ±6, ±8, ±12, with the block scale 2^(e-128); Q8_0: the code, with scale d), one
// integer sum per 32-block and y += float(isum) * (sw * sx) block after block with one fused multiply-add.
using SharpSeek.Tensors.Codecs;
using SharpSeek.Tensors.Ggml;

namespace SharpSeek.Tensors.Kernels.Reference;

public static unsafe class MatMulInt8Reference
{
    private static readonly int[] s_doubled = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

    /// <summary>An E2M1 code's value times 2: an integer in 0, ±1, ±2, ±3, ±4, ±6, ±8, ±12.</summary>
    internal static int Doubled(int code) => s_doubled[code & 0xF];

    /// <summary>y[t, o] for an Fp4Block32, GGUF MXFP4 or GGUF Q8_0 weight, with x quantised to int8 per 32.</summary>
    public static void Forward(ReadOnlySpan<float> x, WeightMatrix w, Span<float> y, int tokens)
    {
        int n = w.Cols, m = w.Rows, blocks = n / 32;
        var q = new sbyte[tokens * n];
        var sx = new float[tokens * blocks];
        var sums = new int[tokens * blocks];
        ActivationInt8Reference.Quantize(x, tokens, n, q, sx, sums);
        var wi = new int[n];
        var sw = new float[blocks];
        for (int o = 0; o < m; o++)
        {
            Row(w, o, wi, sw);
            for (int t = 0; t < tokens; t++)
            {
                float acc = 0;
                for (int b = 0; b < blocks; b++)
                {
                    int isum = 0;
                    for (int i = 32 * b; i < 32 * b + 32; i++) isum += wi[i] * q[t * n + i];
                    acc = MathF.FusedMultiplyAdd(isum, sw[b] * sx[t * blocks + b], acc);
                }
                y[t * m + o] = acc;
            }
        }
    }

    /// <summary>Row o as integers and its block scales.</summary>
    internal static void Row(WeightMatrix w, int o, int[] wi, float[] sw)
    {
        int n = w.Cols;
        for (int b = 0; b < n / 32; b++)
        {
            if (w.Format == WeightFormat.Fp4Block32)
            {
                sw[b] = Fp8E8M0.Decode(w.Scales[(long)o * w.ScaleCols + b]) / 2;
                for (int i = 32 * b; i < 32 * b + 32; i++)
                {
                    byte packed = w.Data[((long)o * n + i) / 2];
                    wi[i] = s_doubled[i % 2 == 0 ? packed & 0xF : packed >> 4];
                }
            }
            else if (w.Format == WeightFormat.Ggml && w.Blocks.Type == GgmlType.MXFP4)
            {
                byte* blk = w.Data + w.RowBytes * o + 17L * b;
                sw[b] = MathF.ScaleB(1f, blk[0] - 128);
                for (int i = 0; i < 16; i++)
                {
                    wi[32 * b + i] = s_doubled[blk[1 + i] & 0xF];
                    wi[32 * b + 16 + i] = s_doubled[blk[1 + i] >> 4];
                }
            }
            else if (w.Format == WeightFormat.Ggml && w.Blocks.Type == GgmlType.Q8_0)
            {
                byte* blk = w.Data + w.RowBytes * o + 34L * b;
                sw[b] = F16.Decode((ushort)(blk[0] | blk[1] << 8));
                for (int i = 0; i < 32; i++) wi[32 * b + i] = (sbyte)blk[2 + i];
            }
            else throw new NotSupportedException($"{w.Name}: no int8-activation product for {w.Format}");
        }
    }
}
