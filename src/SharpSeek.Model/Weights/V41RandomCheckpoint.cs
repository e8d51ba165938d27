// `sharpseek init-random` for V4.1 configs: WeightInit's values for every tensor of the V4.1 weight map,
// written in the official layout (FP8 e4m3 in 32x32 blocks with ue8m0 scales, FP4 experts, BF16/F32
// as the checkpoint holds them). Engram tables are streamed row block by row block as random e4m3
// codes with ue8m0 row scales (no float copy), so a table of tens of GB is written in bounded memory.
using SharpSeek.Formats.Safetensors;
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
        Directory.CreateDirectory(outDir);
        var specs = DeepSeekV41<float>.WeightMap(config).ToDictionary(s => s.Name);
        var writer = new ShardedWriter(maxShardBytes);
        long total = 0;
        foreach (WeightSpec spec in specs.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            total += spec.Bytes;
            WeightSpec s = spec;
            if (s.Name.Contains(".engram.embed.", StringComparison.Ordinal)) writer.AddLazy(s.Name, s.DType, s.Shape, stream => WriteTable(s, seed, stream));
            else writer.AddLazy(s.Name, s.DType, s.Shape, stream => stream.Write(Generate(s, specs, config.Base, seed)));
        }
        writer.Metadata["format"] = "pt";
        writer.Save(outDir);
        File.Copy(configPath, Path.Combine(outDir, "config.json"), overwrite: true);
        File.WriteAllText(Path.Combine(outDir, "RANDOM_WEIGHTS"), $"random weights, seed {seed}, written by sharpseek init-random\n");
        return total;
    }

    private static byte[] Generate(WeightSpec s, IReadOnlyDictionary<string, WeightSpec> all, ModelConfig c, ulong seed)
    {
        WeightSpec w = s.DType == DType.F8_E8M0 ? all[WeightScope.WeightOfScale(s.Name)] : s;
        var (rows, cols) = WeightInit.Logical(w);
        float[] f = Floats(w, rows, cols, c, seed);
        if (w.DType == DType.F8_E4M3)
        {
            var (codes, scales) = QuantizeFp8(f, rows, cols, V41Config.Fp8Block);
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

    /// <summary>FP8 e4m3 codes with one ue8m0 scale per block x block tile (amax floor 1e-4, as the reference quantiser).</summary>
    public static (byte[] Codes, byte[] Scales) QuantizeFp8(ReadOnlySpan<float> w, int rows, int cols, int block)
    {
        int sr = (rows + block - 1) / block, sc = (cols + block - 1) / block;
        var codes = new byte[(long)rows * cols];
        var scales = new byte[sr * sc];
        for (int br = 0; br < sr; br++)
            for (int bc = 0; bc < sc; bc++)
            {
                int r0 = br * block, r1 = Math.Min(rows, r0 + block), c0 = bc * block, c1 = Math.Min(cols, c0 + block);
                float amax = 1e-4f;
                for (int r = r0; r < r1; r++)
                    for (int col = c0; col < c1; col++) amax = Math.Max(amax, Math.Abs(w[r * cols + col]));
                int k = PowerOfTwo.CeilLog2(amax / 448.0);
                scales[br * sc + bc] = Fp8E8M0.EncodeExponent(k);
                for (int r = r0; r < r1; r++)
                    for (int col = c0; col < c1; col++)
                        codes[(long)r * cols + col] = Fp8E4M3.Encode(Math.Clamp(Math.ScaleB((double)w[r * cols + col], -k), -448.0, 448.0));
            }
        return (codes, scales);
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
