// Boundary: float32 -> ggml blocks for the formats `sharpseek quantize` writes, each written as
// ggml's reference quantiser (quantize_row_*_ref in ggml-quants.c) computes it, or with an importance
// matrix as its quantize_* with quant_weights does (GgmlImportanceQuantize), so the bytes equal
// ggml's (tested on ggml's own vectors, tests/fixtures/ggml); the K formats' searches are in GgmlKQuantize, IQ4_NL/IQ4_XS in
// GgmlIq4Quantize (ggml's quantize_iq4_* without an importance matrix), the grid IQ formats in GgmlIqQuantize
// (with a row of importance weights where given). Plus the lossless repacking of the
// official FP4 experts (e2m1 pairs + one e8m0 scale per 32) into MXFP4 blocks.
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Ggml;

public static class GgmlQuantize
{
    /// <summary>Whether <see cref="Quantize"/> writes <paramref name="type"/>.</summary>
    public static bool CanQuantize(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.MXFP4
            or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.IQ4_NL or GgmlType.IQ4_XS
            or GgmlType.IQ2_XXS or GgmlType.IQ2_XS or GgmlType.IQ2_S or GgmlType.IQ3_XXS or GgmlType.IQ3_S or GgmlType.IQ1_S or GgmlType.IQ1_M;

    /// <summary>Encodes <paramref name="src"/> (whole blocks) as <paramref name="type"/> into <paramref name="dst"/> (exactly its byte size).</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst) => Quantize(type, src, dst, default);

    /// <summary>
    /// Encodes <paramref name="src"/> as <paramref name="type"/> into <paramref name="dst"/> with an importance matrix:
    /// one weight per column, <paramref name="src"/> whole rows of <paramref name="importance"/>.Length (ggml's
    /// quantize_* with quant_weights, what llama-quantize --imatrix does). Empty importance: the plain quantisers
    /// (whole blocks of src); the grid IQ formats that need one refuse to run without it.
    /// </summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst, ReadOnlySpan<float> importance)
    {
        GgmlTypeInfo info = GgmlTypes.Info(type);
        if (!CanQuantize(type)) throw new NotSupportedException($"quantisation to ggml {info.Name} is not implemented (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M are)");
        if (src.Length % info.BlockElements != 0) throw new ArgumentException($"{src.Length} values are not whole {info.Name} blocks of {info.BlockElements}");
        if (!importance.IsEmpty && (importance.Length % info.BlockElements != 0 || src.Length % importance.Length != 0))
            throw new ArgumentException($"{info.Name}: an importance row of {importance.Length} weights does not tile {src.Length} values in whole {info.BlockElements}-value blocks");
        int blocks = src.Length / info.BlockElements;
        if (dst.Length != (long)blocks * info.BlockBytes) throw new ArgumentException($"{info.Name}: {dst.Length} bytes for {blocks} blocks of {info.BlockBytes}");
        if (GgmlIqQuantize.IsGrid(type))
        {
            GgmlIqQuantize.Blocks(type, src, dst, importance);
            return;
        }
        int blocksPerRow = importance.Length / info.BlockElements;
        float rowSigma2 = 0;   // the legacy formats' sigma2 is the row's mean square
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * info.BlockElements, info.BlockElements);
            Span<byte> y = dst.Slice(b * info.BlockBytes, info.BlockBytes);
            ReadOnlySpan<float> w = default;
            if (blocksPerRow > 0)
            {
                int inRow = b % blocksPerRow;
                w = importance.Slice(inRow * info.BlockElements, info.BlockElements);
                if (inRow == 0) rowSigma2 = GgmlImportanceQuantize.MeanSquare(src.Slice(b * info.BlockElements, importance.Length));
            }
            switch (type)
            {
                case GgmlType.F32: BitConverter.TryWriteBytes(y, x[0]); break;
                case GgmlType.F16: BitConverter.TryWriteBytes(y, F16.Encode(x[0])); break;
                case GgmlType.BF16: BitConverter.TryWriteBytes(y, Bf16.Encode(x[0])); break;
                case GgmlType.Q8_0: Q8_0(x, y); break;
                case GgmlType.Q4_0: if (w.IsEmpty) Q4_0(x, y); else GgmlImportanceQuantize.Q4_0(x, y, w, rowSigma2); break;
                case GgmlType.Q4_1: if (w.IsEmpty) Q4_1(x, y); else GgmlImportanceQuantize.Q4_1(x, y, w, rowSigma2); break;
                case GgmlType.Q5_0: if (w.IsEmpty) Q5_0(x, y); else GgmlImportanceQuantize.Q5_0(x, y, w, rowSigma2); break;
                case GgmlType.Q5_1: if (w.IsEmpty) Q5_1(x, y); else GgmlImportanceQuantize.Q5_1(x, y, w, rowSigma2); break;
                case GgmlType.Q2_K: if (w.IsEmpty) GgmlKQuantize.Q2_K(x, y); else GgmlImportanceQuantize.Q2_K(x, y, w); break;
                case GgmlType.Q3_K: if (w.IsEmpty) GgmlKQuantize.Q3_K(x, y); else GgmlImportanceQuantize.Q3_K(x, y, w); break;
                case GgmlType.Q4_K: if (w.IsEmpty) GgmlKQuantize.Q4_K(x, y); else GgmlImportanceQuantize.Q4_K(x, y, w); break;
                case GgmlType.Q5_K: if (w.IsEmpty) GgmlKQuantize.Q5_K(x, y); else GgmlImportanceQuantize.Q5_K(x, y, w); break;
                case GgmlType.Q6_K: GgmlKQuantize.Q6_K(x, y, w); break;
                case GgmlType.IQ4_NL: GgmlIq4Quantize.IQ4_NL(x, y, w); break;
                case GgmlType.IQ4_XS: GgmlIq4Quantize.IQ4_XS(x, y, w); break;
                default: MXFP4(x, y); break;
            }
        }
    }

    // d = amax / 127, codes round(x / d) half away from zero.
    private static void Q8_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BitConverter.TryWriteBytes(y, F16.Encode(d));
        for (int j = 0; j < 32; j++) y[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    // d = (the value of largest magnitude) / -8, codes min(15, trunc(x / d + 8.5)).
    private static void Q4_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        float d = LargestMagnitude(x) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BitConverter.TryWriteBytes(y, F16.Encode(d));
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)(sbyte)(int)(x[j] * id + 8.5f));
            int q1 = Math.Min(15, (int)(sbyte)(int)(x[16 + j] * id + 8.5f));
            y[2 + j] = (byte)(q0 | q1 << 4);
        }
    }

    // Q4_1: d = (max - min) / 15 and m = min; codes (x - min) / d rounded half up, at most 15.
    private static void Q4_1(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (min, max) = MinMax(x);
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BitConverter.TryWriteBytes(y, F16.Encode(d));
        BitConverter.TryWriteBytes(y[2..], F16.Encode(min));
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)(sbyte)(int)((x[j] - min) * id + 0.5f));
            int q1 = Math.Min(15, (int)(sbyte)(int)((x[16 + j] - min) * id + 0.5f));
            y[4 + j] = (byte)(q0 | q1 << 4);
        }
    }

    // Q5_0: d = max / -16 (max = the value of largest magnitude); codes x / d + 16, the fifth bits in a 32-bit qh.
    private static void Q5_0(ReadOnlySpan<float> x, Span<byte> y)
    {
        float d = LargestMagnitude(x) / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BitConverter.TryWriteBytes(y, F16.Encode(d));
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(31, (int)(sbyte)(int)(x[j] * id + 16.5f));
            int q1 = Math.Min(31, (int)(sbyte)(int)(x[16 + j] * id + 16.5f));
            y[6 + j] = (byte)((q0 & 0xF) | (q1 & 0xF) << 4);
            qh |= (uint)((q0 & 0x10) >> 4) << j;
            qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
        }
        BitConverter.TryWriteBytes(y[2..], qh);
    }

    // Q5_1: d = (max - min) / 31 and m = min; codes (x - min) / d rounded half up, the fifth bits in a 32-bit qh.
    private static void Q5_1(ReadOnlySpan<float> x, Span<byte> y)
    {
        var (min, max) = MinMax(x);
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        BitConverter.TryWriteBytes(y, F16.Encode(d));
        BitConverter.TryWriteBytes(y[2..], F16.Encode(min));
        uint qh = 0;
        for (int j = 0; j < 16; j++)
        {
            int q0 = (byte)(int)((x[j] - min) * id + 0.5f);
            int q1 = (byte)(int)((x[16 + j] - min) * id + 0.5f);
            y[8 + j] = (byte)((q0 & 0xF) | (q1 & 0xF) << 4);
            qh |= (uint)((q0 & 0x10) >> 4) << j;
            qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
        }
        BitConverter.TryWriteBytes(y[4..], qh);
    }

    // The first value of largest magnitude, with its sign (0 for an all-zero block).
    private static float LargestMagnitude(ReadOnlySpan<float> x)
    {
        float amax = 0, max = 0;
        for (int j = 0; j < x.Length; j++)
            if (amax < MathF.Abs(x[j])) { amax = MathF.Abs(x[j]); max = x[j]; }
        return max;
    }

    private static (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        float min = float.MaxValue, max = -float.MaxValue;
        for (int j = 0; j < 32; j++)
        {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        return (min, max);
    }

    // e = floor(log2 amax) - 2 + 127; each value the nearest of the 16 code-book entries x half-scale (first wins ties).
    private static void MXFP4(ReadOnlySpan<float> x, Span<byte> y)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
        byte e = amax > 0 ? (byte)(MathF.Floor(MathF.Log2(amax)) - 2 + 127) : (byte)0;
        float d = GgmlNonLinearBlocks.Mxfp4Scale(e);
        y[0] = e;
        for (int j = 0; j < 16; j++) y[1 + j] = (byte)(Nearest(x[j], d) | Nearest(x[16 + j], d) << 4);
    }

    private static int Nearest(float x, float d)
    {
        ReadOnlySpan<sbyte> book = GgmlNonLinearBlocks.Mxfp4;
        int best = 0;
        float bestErr = MathF.Abs(book[0] * d - x);
        for (int i = 1; i < 16; i++)
        {
            float err = MathF.Abs(book[i] * d - x);
            if (err < bestErr) { best = i; bestErr = err; }
        }
        return best;
    }

    /// <summary>
    /// One official FP4 row (e2m1 codes, low nibble = even column; one e8m0 scale per 32 columns) as
    /// MXFP4 blocks with the same values: ggml's code book is the e2m1 table doubled and its scale
    /// the e8m0 power halved, so codes and scale bytes carry over; only the nibble order changes.
    /// </summary>
    public static void Mxfp4FromE2M1(ReadOnlySpan<byte> packed, ReadOnlySpan<byte> scales, Span<byte> dst)
    {
        int blocks = scales.Length;
        if (packed.Length != blocks * 16 || dst.Length != blocks * 17)
            throw new ArgumentException($"FP4 row of {packed.Length} bytes with {scales.Length} scales does not make {dst.Length / 17} MXFP4 blocks");
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> p = packed.Slice(16 * b, 16);
            Span<byte> y = dst.Slice(17 * b, 17);
            y[0] = scales[b];
            for (int j = 0; j < 16; j++)
            {
                int lo = Code(p, j), hi = Code(p, 16 + j);
                y[1 + j] = (byte)(lo | hi << 4);
            }
        }
    }

    // Element k of a packed e2m1 run (two per byte, even elements in the low nibble).
    private static int Code(ReadOnlySpan<byte> p, int k) => (k & 1) == 0 ? p[k >> 1] & 0xF : p[k >> 1] >> 4;
}
