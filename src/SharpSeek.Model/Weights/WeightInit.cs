// Seeded initial weights of a V4 checkpoint, in one place for `sharpseek init-random` and the trainer.
// WeightInit: the values -- every tensor draws from its own SplitMix64 seeded by (seed, name), so
// values do not depend on enumeration order; the distribution per tensor kind is its table. The
// trainer's ParameterSet starts its fp32 masters here. RandomCheckpoint: writes those values in the
// official layout (FP8 + 128x128 scales, FP4 experts + 1x32 scales, BF16, F32, I64 tid2eid), for
// tests, benchmarks and trying geometries -- the trainer's step-0 export, byte for byte.
using System.Text;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Layers;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.Weights;

/// <summary>The seeded initial values of every tensor kind, for init-random and the trainer.</summary>
public static class WeightInit
{
    /// <summary>
    /// The logical matrix a spec holds, as the initialiser and the trainer see it: 1-D tensors are one
    /// row; 2-D and higher are [shape[0], product of the rest]; packed FP4 (I8) has two values per byte.
    /// </summary>
    public static (int Rows, int Cols) Logical(WeightSpec s)
    {
        if (s.Shape.Length == 1) return (1, (int)s.Shape[0]);
        long cols = s.Shape.Skip(1).Aggregate(1L, (a, b) => a * b) * (s.DType == DType.I8 ? 2 : 1);
        return ((int)s.Shape[0], (int)cols);
    }

    /// <summary>
    /// Float values of the tensor <paramref name="name"/> holding rows x cols values, fan-in = cols:
    /// norm weights 1; biases, mHC bases, APE and attention sinks 0; mHC scales 0.5; the embedding
    /// U(±sqrt 3) (std 1); every other matrix std 1/sqrt(fan-in), times 0.3 for the head, 0.1 for the mHC
    /// mixing matrices (start near equal stream mixing), 1/sqrt(2 x blocks) for the residual-branch
    /// outputs wo_b and w2.
    /// </summary>
    public static float[] Floats(string name, int rows, int cols, ModelConfig c, ulong seed)
    {
        string n = name;
        var f = new float[(long)rows * cols];
        var rng = new SplitMix64(Hash(seed, n));
        if (n.EndsWith("norm.weight", StringComparison.Ordinal)) { Array.Fill(f, 1f); return f; }
        if (n.EndsWith("_base", StringComparison.Ordinal) || n.EndsWith("gate.bias", StringComparison.Ordinal)
            || n.EndsWith(".ape", StringComparison.Ordinal) || n.EndsWith("attn_sink", StringComparison.Ordinal)) return f;
        if (n.EndsWith("_scale", StringComparison.Ordinal)) { Array.Fill(f, 0.5f); return f; }
        double a = Std(n, cols, c) * Math.Sqrt(3.0);
        for (long i = 0; i < f.LongLength; i++) f[i] = (float)((rng.NextDouble() * 2 - 1) * a);
        return f;
    }

    /// <summary>The standard deviation of matrix <paramref name="name"/> with fan-in <paramref name="fanIn"/> (see Floats).</summary>
    public static double Std(string name, int fanIn, ModelConfig c)
    {
        double std = name == "embed.weight" ? 1.0 : name == "head.weight" ? 0.3 / Math.Sqrt(fanIn) : 1.0 / Math.Sqrt(fanIn);
        if (HyperNames.IsHyper(name)) std *= 0.1;
        if (name.EndsWith("wo_b.weight", StringComparison.Ordinal) || name.EndsWith("w2.weight", StringComparison.Ordinal))
            std /= Math.Sqrt(2.0 * (c.NumLayers + c.NumMtpLayers));
        return std;
    }

    /// <summary>
    /// Whether the trainer's decoupled weight decay applies: to matrices (more than one logical row),
    /// not to the mHC mixing matrices, norms, biases, sinks or mHC scalars.
    /// </summary>
    public static bool Decays(WeightSpec s) => Logical(s).Rows > 1 && !HyperNames.IsHyper(s.Name);

    /// <summary>A hash-routing table (tid2eid [rows, k]): k distinct experts per token, drawn uniformly.</summary>
    public static int[] HashTable(string name, int rows, int k, ModelConfig c, ulong seed)
    {
        var rng = new SplitMix64(Hash(seed, name));
        var t = new int[rows * k];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < k; i++)
            {
                int e;
                do e = (int)(rng.Next() % (ulong)c.NumRoutedExperts); while (Array.IndexOf(t, e, r * k, i) >= 0);
                t[r * k + i] = e;
            }
        return t;
    }

    /// <summary>FNV-1a of the UTF-8 name, offset by the seed: the per-tensor stream.</summary>
    public static ulong Hash(ulong seed, string name)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) { h ^= b; h *= 1099511628211UL; }
        return h;
    }
}

/// <summary>SplitMix64: the seeded generator of initialisation and training data (one ulong of state, so it checkpoints exactly).</summary>
public struct SplitMix64(ulong state)
{
    public ulong State = state;

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    public int NextInt(int n) => (int)(Next() % (ulong)n);
    public int NextInt(int lo, int hi) => lo + NextInt(hi - lo);
}

/// <summary>`sharpseek init-random`: WeightInit's values written as an official-layout checkpoint.</summary>
public static class RandomCheckpoint
{
    /// <summary>Writes config.json (copied), the shards and a RANDOM_WEIGHTS marker into <paramref name="outDir"/>.</summary>
    /// <param name="directFp4">
    /// FP4 weights (the routed experts) as uniformly drawn codes under one power-of-two scale per tensor
    /// that gives WeightInit's standard deviation, instead of quantised float draws: the same bytes per
    /// tensor at a small fraction of the time (a checkpoint bigger than memory), but not the trainer's values.
    /// </param>
    public static long Write(string configPath, string outDir, ulong seed, long maxShardBytes = 2L << 30, bool directFp4 = false)
    {
        ModelConfig config = ModelConfig.Load(configPath);
        // the DSpark head (V4-Flash-0731 keys) is written too when the config has one
        var specs = DeepSeekV4<float>.WeightMap(config).Concat(config.DSpark is null ? [] : Layers.V41.DSparkV4.WeightMap(config)).ToDictionary(s => s.Name);
        var last = new LastFloats();
        return Save(configPath, outDir, seed, specs.Values, maxShardBytes, (s, stream) =>
            stream.Write(directFp4 && DirectFp4.Holds(s, specs) ? DirectFp4.Generate(s, specs, config, seed) : Generate(s, specs, config, seed, last)));
    }

    /// <summary>
    /// The one writer of random checkpoints (V4 and V4.1): every spec in name order, produced lazily by
    /// <paramref name="write"/> while its shard is written, then config.json and the RANDOM_WEIGHTS marker.
    /// </summary>
    public static long Save(string configPath, string outDir, ulong seed, IEnumerable<WeightSpec> specs, long maxShardBytes, Action<WeightSpec, Stream> write)
    {
        Directory.CreateDirectory(outDir);
        var writer = new ShardedWriter(maxShardBytes);
        long total = 0;
        foreach (WeightSpec spec in specs.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            total += spec.Bytes;
            WeightSpec s = spec;
            writer.AddLazy(s.Name, s.DType, s.Shape, stream => write(s, stream));
        }
        writer.Metadata["format"] = "pt";
        writer.Save(outDir);
        File.Copy(configPath, Path.Combine(outDir, "config.json"), overwrite: true);
        File.WriteAllText(Path.Combine(outDir, "RANDOM_WEIGHTS"), $"random weights, seed {seed}, written by sharpseek init-random\n");
        return total;
    }

    /// <summary>A weight's codes kept from its scale: "x.scale" sorts right before "x.weight", so the pair is quantised once.</summary>
    private sealed class LastFloats
    {
        public string? Name;
        public byte[]? Codes;
    }

    private static byte[] Generate(WeightSpec s, IReadOnlyDictionary<string, WeightSpec> all, ModelConfig c, ulong seed, LastFloats last)
    {
        if (s.DType == DType.I64) return WeightEncoding.I64(WeightInit.HashTable(s.Name, (int)s.Shape[0], (int)s.Shape[1], c, seed));
        if (last.Name == s.Name)
        {
            byte[] codes = last.Codes!;
            (last.Name, last.Codes) = (null, null);
            return codes;
        }
        // a block scale: its linear's floats quantised once; the codes wait for the weight that follows
        WeightSpec w = s.DType == DType.F8_E8M0 ? all[WeightScope.WeightOfScale(s.Name)] : s;
        var (rows, cols) = WeightInit.Logical(w);
        float[] f = WeightInit.Floats(w.Name, rows, cols, c, seed);
        if (s.DType != DType.F8_E8M0) return WeightEncoding.Encode(w.DType, f, rows, cols);
        (byte[] Codes, byte[] Scales) q = w.DType == DType.I8 ? WeightQuantizer.QuantizeFp4Block32(f, rows, cols)
            : w.DType == DType.F8_E4M3 ? WeightQuantizer.QuantizeFp8Block128(f, rows, cols)
            : throw new NotSupportedException($"a {w.DType} weight has no block scales");
        (last.Name, last.Codes) = (w.Name, q.Codes);
        return q.Scales;
    }
}

/// <summary>init-random --direct-fp4: FP4 tensors drawn as codes (uniform over the 16 codes) rather than quantised from floats.</summary>
public static class DirectFp4
{
    /// <summary>RMS of the 16 FP4 e2m1 values drawn uniformly: sqrt(mean of {0, .25, 1, 2.25, 4, 9, 16, 36}).</summary>
    public static readonly double CodeRms = Math.Sqrt(68.5 / 8);

    /// <summary>Whether <paramref name="s"/> is an FP4 weight (packed I8) or the scale of one.</summary>
    public static bool Holds(WeightSpec s, IReadOnlyDictionary<string, WeightSpec> all) =>
        s.DType == DType.I8 || (s.DType == DType.F8_E8M0 && all[WeightScope.WeightOfScale(s.Name)].DType == DType.I8);

    /// <summary>Packed codes from the tensor's own SplitMix64 stream, or its scales (one exponent for every block).</summary>
    public static byte[] Generate(WeightSpec s, IReadOnlyDictionary<string, WeightSpec> all, ModelConfig c, ulong seed)
    {
        var bytes = new byte[s.Bytes];
        if (s.DType == DType.I8)
        {
            var rng = new SplitMix64(WeightInit.Hash(seed, s.Name));
            Span<byte> word = stackalloc byte[8];
            for (long i = 0; i < bytes.LongLength; i += 8)
            {
                BitConverter.TryWriteBytes(word, rng.Next());
                word[..(int)Math.Min(8, bytes.LongLength - i)].CopyTo(bytes.AsSpan((int)i));
            }
            return bytes;
        }
        WeightSpec w = all[WeightScope.WeightOfScale(s.Name)];
        int k = (int)Math.Round(Math.Log2(WeightInit.Std(w.Name, WeightInit.Logical(w).Cols, c) / CodeRms));
        Array.Fill(bytes, Fp8E8M0.EncodeExponent(Math.Clamp(k, -127, 127)));
        return bytes;
    }
}
