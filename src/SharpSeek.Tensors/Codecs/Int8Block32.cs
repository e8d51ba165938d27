// Requantises a weight matrix (any format) to int8 with one float32 scale per 1x32 block, once at
// load: the fast vocabulary head (half the bytes of BF16 per token). scale = amax / 127 per block,
// code = round-to-nearest-even(w / scale) in [-127, 127]; an all-zero block has scale 0. The copy
// lives in pinned arrays that the returned WeightMatrix keeps alive.
namespace SharpSeek.Tensors.Codecs;

public static unsafe class Int8Block32
{
    /// <summary>The int8 copy of <paramref name="w"/>; a NaN or infinite weight is an error naming its row.</summary>
    public static WeightMatrix Quantize(WeightMatrix w)
    {
        int rows = w.Rows, cols = w.Cols, blocks = cols / WeightMatrix.Int8Block;
        if (cols % WeightMatrix.Int8Block != 0)
            throw new ArgumentException($"{w.Name}: int8 requantisation needs in-features divisible by {WeightMatrix.Int8Block}, got {cols}");
        var codes = GC.AllocateUninitializedArray<sbyte>(Math.Max(1, rows * cols), pinned: true);
        var scales = GC.AllocateUninitializedArray<float>(Math.Max(1, rows * blocks), pinned: true);
        try
        {
            Parallel.For(0, rows, () => new float[cols], (r, _, row) =>
            {
                w.DecodeRow(r, row);
                QuantizeRow(w.Name, r, row, codes.AsSpan(r * cols, cols), scales.AsSpan(r * blocks, blocks));
                return row;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerException is InvalidDataException bad) { throw new InvalidDataException(bad.Message, bad); }
        fixed (sbyte* pc = codes) fixed (float* ps = scales)
            return new WeightMatrix(w.Name, WeightFormat.Int8Block32, rows, cols, (byte*)pc, (byte*)ps, new object[] { codes, scales });
    }

    /// <summary>One row: codes[j] = round(row[j] / scales[j / 32]), scales[b] = amax(block b) / 127.</summary>
    public static void QuantizeRow(string name, int r, ReadOnlySpan<float> row, Span<sbyte> codes, Span<float> scales)
    {
        for (int b = 0; b < scales.Length; b++)
        {
            ReadOnlySpan<float> v = row.Slice(b * WeightMatrix.Int8Block, WeightMatrix.Int8Block);
            float amax = 0;
            foreach (float f in v)
            {
                if (!float.IsFinite(f)) throw new InvalidDataException($"{name}: row {r} holds a non-finite weight ({f}); cannot requantise to int8");
                amax = Math.Max(amax, Math.Abs(f));
            }
            float scale = amax / 127f;
            scales[b] = scale;
            for (int j = 0; j < v.Length; j++)
                codes[b * WeightMatrix.Int8Block + j] = scale == 0 ? (sbyte)0 : (sbyte)Math.Clamp(MathF.Round(v[j] / scale), -127f, 127f);
        }
    }
}
