// Scalar twin of E2M1Rows: the codec table times the scale, one nibble at a time.
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class E2M1RowsReference
{
    /// <summary>dst[i] = e2m1(nibble i of packed, low nibble first) * scale.</summary>
    public static void Scaled(ReadOnlySpan<byte> packed, int count, float scale, Span<float> dst)
    {
        for (int i = 0; i < count; i++) dst[i] = Fp4E2M1.Table[(packed[i / 2] >> (4 * (i % 2))) & 0xF] * scale;
    }
}
