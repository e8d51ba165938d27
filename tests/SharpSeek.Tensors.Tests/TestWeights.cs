// Random weight matrices of every storage format for the kernel tests, plus a float64 oracle
// decode. FP8 codes include subnormals, ±0 and (optionally) the NaN codes; scales vary per block.
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Tensors.Tests;

internal static unsafe class TestWeights
{
    public static WeightMatrix Make(WeightFormat format, int rows, int cols, Random rng, bool allowNan = false)
    {
        switch (format)
        {
            case WeightFormat.F32:
            {
                var v = new float[rows * cols];
                for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
                return WeightMatrix.FromFloats("w", v, rows, cols);
            }
            case WeightFormat.BF16:
            {
                var d = GC.AllocateArray<ushort>(Math.Max(1, rows * cols), pinned: true);
                for (int i = 0; i < rows * cols; i++) d[i] = Bf16.Encode((float)(rng.NextDouble() * 4 - 2));
                fixed (ushort* p = d) return new WeightMatrix("w", format, rows, cols, (byte*)p, null, d);
            }
            case WeightFormat.Fp8Block128:
            {
                var d = GC.AllocateArray<byte>(Math.Max(1, rows * cols), pinned: true);
                for (int i = 0; i < rows * cols; i++)
                {
                    byte c = (byte)rng.Next(256);
                    d[i] = !allowNan && (c & 0x7F) == 0x7F ? (byte)0x01 : c;
                }
                int sr = (rows + 127) / 128, sc = (cols + 127) / 128;
                var s = GC.AllocateArray<byte>(Math.Max(1, sr * sc), pinned: true);
                for (int i = 0; i < s.Length; i++) s[i] = (byte)(110 + rng.Next(25));
                fixed (byte* p = d) fixed (byte* q = s) return new WeightMatrix("w", format, rows, cols, p, q, new object[] { d, s });
            }
            case WeightFormat.Int8Block32:
            {
                // Requantised from floats of mixed magnitude, with an all-zero block in every fifth row.
                var v = new float[rows * cols];
                for (int i = 0; i < v.Length; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-2, 2)));
                for (int r = 0; r < rows; r += 5) Array.Clear(v, r * cols, Math.Min(32, cols));
                return Int8Block32.Quantize(WeightMatrix.FromFloats("w", v, rows, cols));
            }
            default:
            {
                var d = GC.AllocateArray<byte>(Math.Max(1, rows * cols / 2), pinned: true);
                rng.NextBytes(d);
                var s = GC.AllocateArray<byte>(Math.Max(1, rows * cols / 32), pinned: true);
                for (int i = 0; i < s.Length; i++) s[i] = (byte)(110 + rng.Next(25));
                fixed (byte* p = d) fixed (byte* q = s) return new WeightMatrix("w", format, rows, cols, p, q, new object[] { d, s });
            }
        }
    }

    public static float[] RandomFloats(int n, Random rng, double range = 1)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * range);
        return v;
    }
}
