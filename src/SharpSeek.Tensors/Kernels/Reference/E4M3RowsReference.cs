// Scalar twin of E4M3Rows: the codec table times the scale, one value at a time.
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Kernels.Reference;

public static class E4M3RowsReference
{
    /// <summary>dst[i] = e4m3(codes[i]) * scale.</summary>
    public static void Scaled(ReadOnlySpan<byte> codes, float scale, Span<float> dst)
    {
        for (int i = 0; i < codes.Length; i++) dst[i] = Fp8E4M3.Decode(codes[i]) * scale;
    }
}
