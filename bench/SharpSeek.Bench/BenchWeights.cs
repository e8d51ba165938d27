// Random weight matrices in every storage format for the benchmarks (pinned arrays, kept alive
// by the WeightMatrix). Codes are drawn so that FP8 never produces NaN (0x7F/0xFF excluded).
using SharpSeek.Tensors;

namespace SharpSeek.Bench;

public static unsafe class BenchWeights
{
    public static WeightMatrix Make(WeightFormat format, int rows, int cols, int seed)
    {
        var rng = new Random(seed);
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
                var d = GC.AllocateArray<ushort>(rows * cols, pinned: true);
                for (int i = 0; i < d.Length; i++) d[i] = SharpSeek.Tensors.Codecs.Bf16.Encode((float)(rng.NextDouble() * 2 - 1));
                fixed (ushort* p = d) return new WeightMatrix("w", format, rows, cols, (byte*)p, null, d);
            }
            case WeightFormat.Fp8Block128:
            {
                var d = GC.AllocateArray<byte>(rows * cols, pinned: true);
                for (int i = 0; i < d.Length; i++) { byte c = (byte)rng.Next(256); d[i] = (c & 0x7F) == 0x7F ? (byte)0x10 : c; }
                int sr = (rows + 127) / 128, sc = (cols + 127) / 128;
                var s = GC.AllocateArray<byte>(sr * sc, pinned: true);
                for (int i = 0; i < s.Length; i++) s[i] = (byte)(120 + rng.Next(8));
                fixed (byte* p = d) fixed (byte* q = s) return new WeightMatrix("w", format, rows, cols, p, q, new object[] { d, s });
            }
            default:
            {
                var d = GC.AllocateArray<byte>(rows * cols / 2, pinned: true);
                rng.NextBytes(d);
                var s = GC.AllocateArray<byte>(rows * cols / 32, pinned: true);
                for (int i = 0; i < s.Length; i++) s[i] = (byte)(120 + rng.Next(8));
                fixed (byte* p = d) fixed (byte* q = s) return new WeightMatrix("w", format, rows, cols, p, q, new object[] { d, s });
            }
        }
    }
}
