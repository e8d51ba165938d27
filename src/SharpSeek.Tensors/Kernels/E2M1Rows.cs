// Decoding of packed FP4 e2m1 codes (low nibble = even index) under one power-of-two scale into
// float32 (the sequence memory's index keys, blocks of 32): 32 codes at a time with AVX-512 (the
// 16-entry table scaled once, then permutes, as the FP4 matmul decodes), the table loop otherwise.
// Bit for bit the scalar twin E2M1RowsReference.Scaled.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels;

public static class E2M1Rows
{
    /// <summary>dst[i] = e2m1(nibble i of packed) * scale for i in [0, count), count even.</summary>
    public static unsafe void Scaled(ReadOnlySpan<byte> packed, int count, float scale, Span<float> dst)
    {
        if (count % 2 != 0 || packed.Length < count / 2 || dst.Length < count) throw new ArgumentException($"e2m1 rows: {count} codes need {count / 2} bytes and {count} floats");
        ReadOnlySpan<float> table = Fp4E2M1.Table;
        int j = 0;
        fixed (byte* src = packed)
        fixed (float* d = dst)
        {
            if (Avx512F.IsSupported && count >= 32)
            {
                Vector512<float> scaled = Vector512.Create(table) * scale;
                var idxLo = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7).AsUInt32();
                var idxHi = Vector512.Create(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15).AsUInt32();
                var shifts = Vector512.Create(0u, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);
                for (; j <= count - 32; j += 32)
                {
                    Vector512<uint> bytes = Avx512F.ConvertToVector512UInt32(Vector128.Load(src + j / 2));   // 16 bytes = 32 codes
                    Vector512<uint> lo = Avx512F.ShiftRightLogicalVariable(Avx512F.PermuteVar16x32(bytes, idxLo), shifts);
                    Vector512<uint> hi = Avx512F.ShiftRightLogicalVariable(Avx512F.PermuteVar16x32(bytes, idxHi), shifts);
                    Avx512F.PermuteVar16x32(scaled, lo.AsInt32()).Store(d + j);   // only the low 4 index bits count
                    Avx512F.PermuteVar16x32(scaled, hi.AsInt32()).Store(d + j + 16);
                }
            }
            for (; j < count; j += 2)
            {
                byte b = src[j >> 1];
                d[j] = table[b & 0xF] * scale;
                d[j + 1] = table[b >> 4] * scale;
            }
        }
    }
}
