// Writes a random-weight checkpoint of any V4 geometry in the official layout (FP8 + 128x128 scales,
// FP4 experts + 1x32 scales, BF16, F32, I64 tid2eid), for tests, benchmarks and trying geometries.
// The values come from WeightInit, the initialiser the trainer starts from (same seed, same values).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.Weights;

public static class RandomCheckpoint
{
    /// <summary>Writes config.json (copied), the shards and a RANDOM_WEIGHTS marker into <paramref name="outDir"/>.</summary>
    public static long Write(string configPath, string outDir, ulong seed, long maxShardBytes = 2L << 30)
    {
        ModelConfig config = ModelConfig.Load(configPath);
        Directory.CreateDirectory(outDir);
        var specs = DeepSeekV4<float>.WeightMap(config).ToDictionary(s => s.Name);
        var writer = new ShardedWriter(maxShardBytes);
        long total = 0;
        foreach (WeightSpec spec in specs.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            total += spec.Bytes;
            WeightSpec s = spec;
            writer.AddLazy(s.Name, s.DType, s.Shape, stream => stream.Write(Generate(s, specs, config, seed)));
        }
        writer.Metadata["format"] = "pt";
        writer.Save(outDir);
        File.Copy(configPath, Path.Combine(outDir, "config.json"), overwrite: true);
        File.WriteAllText(Path.Combine(outDir, "RANDOM_WEIGHTS"), $"random weights, seed {seed}, written by sharpseek init-random\n");
        return total;
    }

    private static byte[] Generate(WeightSpec s, IReadOnlyDictionary<string, WeightSpec> all, ModelConfig c, ulong seed)
    {
        string n = s.Name;
        if (s.DType == DType.F8_E8M0)
        {
            // Scale of a quantised linear: regenerate the linear's floats and quantise them again.
            WeightSpec w = all[WeightScope.WeightOfScale(n)];
            return Quantized(w, c, seed).Scales;
        }
        var (rows, cols) = WeightInit.Logical(s);
        switch (s.DType)
        {
            case DType.F8_E4M3:
            case DType.I8:
                return Quantized(s, c, seed).Codes;
            case DType.BF16:
                return WeightQuantizer.ToBf16Bytes(WeightInit.Floats(n, rows, cols, c, seed));
            case DType.F32:
            {
                float[] f = WeightInit.Floats(n, rows, cols, c, seed);
                var bytes = new byte[f.Length * 4];
                Buffer.BlockCopy(f, 0, bytes, 0, bytes.Length);
                return bytes;
            }
            case DType.I64:
            {
                int[] table = WeightInit.HashTable(n, (int)s.Shape[0], (int)s.Shape[1], c, seed);
                var bytes = new byte[table.Length * 8];
                for (int i = 0; i < table.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8, 8), (long)table[i]);
                return bytes;
            }
            default: throw new NotSupportedException($"{n}: no random initialiser for {s.DType}");
        }
    }

    private static (byte[] Codes, byte[] Scales) Quantized(WeightSpec w, ModelConfig c, ulong seed)
    {
        var (rows, cols) = WeightInit.Logical(w);
        float[] f = WeightInit.Floats(w.Name, rows, cols, c, seed);
        return w.DType == DType.I8 ? WeightQuantizer.QuantizeFp4Block32(f, rows, cols) : WeightQuantizer.QuantizeFp8Block128(f, rows, cols);
    }
}
