// `sharpseek init-random` for V4.1 configs: WeightInit's values for every tensor of the V4.1 weight map,
// written in the official layout (FP8 e4m3 in 32x32 blocks with ue8m0 scales, FP4 experts, BF16/F32
// as the checkpoint holds them). Engram tables are streamed row block by row block as random e4m3
// codes with ue8m0 row scales (no float copy), so a table of tens of GB is written in bounded memory.
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.Weights;

public static class V41RandomCheckpoint
{
    /// <summary>Writes config.json (copied), the shards and a RANDOM_WEIGHTS marker into <paramref name="outDir"/>; returns the tensor bytes.</summary>
    public static long Write(string configPath, string outDir, ulong seed, long maxShardBytes = 2L << 30)
    {
        V41Config config = V41Config.Load(configPath);
        if (config.Engram.Enabled) _ = new Engram.EngramLayout(config.Engram);   // the table sizes must cover the prime buckets
        var specs = DeepSeekV41<float>.WeightMap(config).ToDictionary(s => s.Name);
        return RandomCheckpoint.Save(configPath, outDir, seed, specs.Values, maxShardBytes, (s, stream) =>
        {
            if (s.Name.Contains(".engram.embed.", StringComparison.Ordinal)) WriteTable(s, seed, stream);
            else stream.Write(Generate(s, specs, config.Base, seed));
        });
    }

    private static byte[] Generate(WeightSpec s, IReadOnlyDictionary<string, WeightSpec> all, ModelConfig c, ulong seed)
    {
        WeightSpec w = s.DType == DType.F8_E8M0 ? all[WeightScope.WeightOfScale(s.Name)] : s;
        var (rows, cols) = WeightInit.Logical(w);
        float[] f = Floats(w, rows, cols, c, seed);
        if (w.DType == DType.F8_E4M3)
        {
            var (codes, scales) = WeightQuantizer.QuantizeFp8(f, rows, cols, V41Config.Fp8Block);
            return s.DType == DType.F8_E8M0 ? scales : codes;
        }
        return s.DType == DType.F8_E8M0 ? WeightEncoding.Scales(w.DType, f, rows, cols) : WeightEncoding.Encode(w.DType, f, rows, cols);
    }

    /// <summary>WeightInit's values, with the V4.1-only tensors set as the reference initialises them (Engram q/k weights 1, image routing bias 0).</summary>
    private static float[] Floats(WeightSpec w, int rows, int cols, ModelConfig c, ulong seed)
    {
        if (w.Name.EndsWith("engram.q_weight", StringComparison.Ordinal) || w.Name.EndsWith("engram.k_weight", StringComparison.Ordinal))
            return Enumerable.Repeat(1f, rows * cols).ToArray();
        if (w.Name.EndsWith("gate.bias_vl", StringComparison.Ordinal)) return new float[rows * cols];
        return WeightInit.Floats(w.Name, rows, cols, c, seed);
    }

    /// <summary>An Engram table (or its scales) streamed in 1 MiB blocks: e4m3 codes of magnitude below 2 (no NaN), scales 2^-4..2^0.</summary>
    private static void WriteTable(WeightSpec s, ulong seed, Stream stream)
    {
        var rng = new SplitMix64(WeightInit.Hash(seed, s.Name));
        var buffer = new byte[1 << 20];
        long left = s.Bytes;
        bool scales = s.DType == DType.F8_E8M0;
        while (left > 0)
        {
            int n = (int)Math.Min(buffer.Length, left);
            for (int i = 0; i < n; i += 8)
            {
                ulong x = rng.Next();
                for (int j = 0; j < 8 && i + j < n; j++, x >>= 8)
                    buffer[i + j] = scales ? (byte)(123 + (int)(x & 3)) : (byte)((x & 0x80) | (x & 0x3F));   // exponent field <= 7: |e4m3| < 2
            }
            stream.Write(buffer, 0, n);
            left -= n;
        }
    }
}
