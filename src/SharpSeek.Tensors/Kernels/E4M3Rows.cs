// Decoding of FP8 e4m3 codes under one power-of-two scale into float32 (the sequence memory's KV
// rows, blocks of 64): 64 codes at a time with AVX-512 VBMI byte tables (MatMulDecodeVbmi), the
// table loop otherwise. Bit for bit the scalar twin E4M3RowsReference.Scaled.
using System.Runtime.Intrinsics;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels;

public static class E4M3Rows
{
    /// <summary>dst[i] = e4m3(codes[i]) * scale for i in [0, codes.Length) (NaN for codes 0x7F and 0xFF).</summary>
    public static unsafe void Scaled(ReadOnlySpan<byte> codes, float scale, Span<float> dst)
    {
        int n = codes.Length, j = 0;
        if (dst.Length < n) throw new ArgumentException($"destination holds {dst.Length} values, need {n}");
        ReadOnlySpan<float> table = Fp8E4M3.Table;
        fixed (byte* c = codes)
        fixed (float* d = dst)
        {
            if (MatMulDecodeVbmi.IsSupported && n >= 64)
            {
                var tables = new MatMulDecodeVbmi.Tables();
                var s = Vector512.Create(scale);
                for (; j <= n - 64; j += 64) MatMulDecodeVbmi.Decode64(c + j, s, tables, d + j);
            }
            for (; j < n; j++) d[j] = table[c[j]] * scale;
        }
    }
}
