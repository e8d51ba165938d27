// Writes a random-weight checkpoint of any V4 geometry in the official layout (FP8 + 128x128 scales,
// FP4 experts + 1x32 scales, BF16, F32, I64 tid2eid), for tests, benchmarks and trying geometries.
// Every tensor draws from its own generator seeded by (seed, name), scaled for healthy activations.
using System.Text;
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
        if (n.EndsWith(".scale", StringComparison.Ordinal))
        {
            // Scale of a quantised linear: regenerate the linear's floats and quantise them again.
            WeightSpec w = all[n[..^".scale".Length] + ".weight"];
            return Quantized(w, c, seed).Scales;
        }
        switch (s.DType)
        {
            case DType.F8_E4M3:
            case DType.I8:
                return Quantized(s, c, seed).Codes;
            case DType.BF16:
                return WeightQuantizer.ToBf16Bytes(Floats(s, seed));
            case DType.F32:
            {
                float[] f = Floats(s, seed);
                var bytes = new byte[f.Length * 4];
                Buffer.BlockCopy(f, 0, bytes, 0, bytes.Length);
                return bytes;
            }
            case DType.I64:
            {
                // tid2eid: k distinct experts per token
                int rows = (int)s.Shape[0], k = (int)s.Shape[1];
                var rng = new SplitMix64(Hash(seed, n));
                var bytes = new byte[rows * k * 8];
                var pick = new int[k];
                for (int r = 0; r < rows; r++)
                {
                    for (int i = 0; i < k; i++)
                    {
                        int e;
                        do e = (int)(rng.Next() % (ulong)c.NumRoutedExperts); while (Array.IndexOf(pick, e, 0, i) >= 0);
                        pick[i] = e;
                        BitConverter.TryWriteBytes(bytes.AsSpan((r * k + i) * 8, 8), (long)e);
                    }
                }
                return bytes;
            }
            default: throw new NotSupportedException($"{n}: no random initialiser for {s.DType}");
        }
    }

    private static (byte[] Codes, byte[] Scales) Quantized(WeightSpec w, ModelConfig c, ulong seed)
    {
        int rows = (int)w.Shape[0];
        int cols = w.DType == DType.I8 ? (int)w.Shape[1] * 2 : (int)w.Shape[1];
        float[] f = Floats(new WeightSpec(w.Name, DType.F32, [rows, cols]), seed);
        return w.DType == DType.I8 ? WeightQuantizer.QuantizeFp4Block32(f, rows, cols) : WeightQuantizer.QuantizeFp8Block128(f, rows, cols);
    }

    /// <summary>Float values for a tensor: the distribution depends on what the tensor is.</summary>
    private static float[] Floats(WeightSpec s, ulong seed)
    {
        string n = s.Name;
        long count = s.Elements;
        var f = new float[count];
        var rng = new SplitMix64(Hash(seed, n));
        int fanIn = s.Shape.Length >= 2 ? (int)s.Shape[^1] : 1;
        bool norm = n.EndsWith("norm.weight", StringComparison.Ordinal);
        double std;
        if (norm) { Array.Fill(f, 1f); return f; }
        if (n.EndsWith("_base", StringComparison.Ordinal) || n.EndsWith("gate.bias", StringComparison.Ordinal)) return f;
        if (n.EndsWith("_scale", StringComparison.Ordinal)) { Array.Fill(f, 0.5f); return f; }
        if (n == "embed.weight") std = 1.0;
        else if (n.EndsWith("attn_sink", StringComparison.Ordinal)) std = 1.0;
        else if (n.EndsWith(".ape", StringComparison.Ordinal)) std = 0.1;
        else std = 1.0 / Math.Sqrt(fanIn);
        double a = std * Math.Sqrt(3.0);
        for (long i = 0; i < count; i++) f[i] = (float)((rng.NextDouble() * 2 - 1) * a);
        return f;
    }

    private static ulong Hash(ulong seed, string name)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) { h ^= b; h *= 1099511628211UL; }
        return h;
    }

    private struct SplitMix64(ulong state)
    {
        private ulong _s = state;

        public ulong Next()
        {
            ulong z = _s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
