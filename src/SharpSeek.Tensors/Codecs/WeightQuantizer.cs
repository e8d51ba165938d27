// Quantises a float weight matrix [rows, cols] into the official checkpoint formats: FP8 e4m3 with
// one ue8m0 scale per square block (128x128 in V4, 32x32 in V4.1), or packed FP4 e2m1 with one ue8m0 scale per 1x32 block.
// Scale = 2^ceil(log2(amax / qmax)) per block (amax floored as the reference), codes round to
// nearest even; decoding gives back exactly what WeightMatrix.DecodeRow computes.
namespace SharpSeek.Tensors.Codecs;

public static class WeightQuantizer
{
    /// <summary>FP8: codes [rows*cols] and scales [ceil(rows/128) * ceil(cols/128)] (e8m0 bytes).</summary>
    public static (byte[] Codes, byte[] Scales) QuantizeFp8Block128(ReadOnlySpan<float> w, int rows, int cols) => QuantizeFp8(w, rows, cols, 128);

    /// <summary>FP8 in square blocks of <paramref name="block"/> (128 for V4, 32 for V4.1): codes [rows*cols], scales [ceil(rows/block) * ceil(cols/block)].</summary>
    public static (byte[] Codes, byte[] Scales) QuantizeFp8(ReadOnlySpan<float> w, int rows, int cols, int block)
    {
        if (w.Length != (long)rows * cols) throw new ArgumentException($"{w.Length} values for [{rows}, {cols}]");
        int sr = (rows + block - 1) / block, sc = (cols + block - 1) / block;
        var codes = new byte[(long)rows * cols];
        var scales = new byte[sr * sc];
        for (int br = 0; br < sr; br++)
            for (int bc = 0; bc < sc; bc++)
            {
                int r0 = br * block, r1 = Math.Min(rows, r0 + block), c0 = bc * block, c1 = Math.Min(cols, c0 + block);
                float amax = 1e-4f;
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) amax = Math.Max(amax, Math.Abs(w[r * cols + c]));
                int k = PowerOfTwo.CeilLog2(amax / 448.0);
                scales[br * sc + bc] = Fp8E8M0.EncodeExponent(k);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        codes[(long)r * cols + c] = Fp8E4M3.Encode(Math.Clamp(Math.ScaleB((double)w[r * cols + c], -k), -448.0, 448.0));
            }
        return (codes, scales);
    }

    /// <summary>FP4: packed codes [rows * cols/2] (low nibble = even column) and scales [rows * cols/32].</summary>
    public static (byte[] Packed, byte[] Scales) QuantizeFp4Block32(ReadOnlySpan<float> w, int rows, int cols)
    {
        if (w.Length != (long)rows * cols) throw new ArgumentException($"{w.Length} values for [{rows}, {cols}]");
        if (cols % 32 != 0) throw new ArgumentException($"FP4 needs cols divisible by 32, got {cols}");
        var packed = new byte[(long)rows * cols / 2];
        var scales = new byte[(long)rows * cols / 32];
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < cols / 32; b++)
            {
                int c0 = b * 32;
                float amax = 6f * MathF.ScaleB(1f, -126);
                for (int c = c0; c < c0 + 32; c++) amax = Math.Max(amax, Math.Abs(w[r * cols + c]));
                int k = PowerOfTwo.CeilLog2(amax / 6.0);
                scales[(long)r * (cols / 32) + b] = Fp8E8M0.EncodeExponent(k);
                for (int c = c0; c < c0 + 32; c += 2)
                {
                    byte lo = Fp4E2M1.Encode(Math.Clamp(Math.ScaleB((double)w[r * cols + c], -k), -6.0, 6.0));
                    byte hi = Fp4E2M1.Encode(Math.Clamp(Math.ScaleB((double)w[r * cols + c + 1], -k), -6.0, 6.0));
                    packed[((long)r * cols + c) / 2] = (byte)(lo | (hi << 4));
                }
            }
        return (packed, scales);
    }

    /// <summary>BF16 codes (round to nearest even) of a float array.</summary>
    public static byte[] ToBf16Bytes(ReadOnlySpan<float> w)
    {
        var bytes = new byte[w.Length * 2];
        for (int i = 0; i < w.Length; i++)
        {
            ushort b = Bf16.Encode(w[i]);
            bytes[2 * i] = (byte)b; bytes[2 * i + 1] = (byte)(b >> 8);
        }
        return bytes;
    }
}
