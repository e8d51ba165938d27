// init-random's writer: a block-quantised weight and its scale (quantised once for the pair) are exactly
// the quantisation of WeightInit's floats; --direct-fp4 keeps every name, dtype, shape and non-FP4 byte,
// draws FP4 codes near the initialiser's standard deviation, and the model still runs.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.State;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Tensors.Codecs;

namespace SharpSeek.Model.Tests;

public sealed class RandomCheckpointTests(ReadAheadFixture fx) : IClassFixture<ReadAheadFixture>
{
    private const ulong Seed = 11;   // ReadAheadFixture's

    [Theory]
    [InlineData("layers.1.ffn.experts.2.w1")]
    [InlineData("layers.2.ffn.experts.5.w2")]
    [InlineData("layers.0.attn.wq_a")]
    [InlineData("layers.1.ffn.shared_experts.w3")]
    public void WeightAndScaleAreTheQuantisedInitialFloats(string linear)
    {
        TensorView w = fx.Weights.Get(linear + ".weight"), s = fx.Weights.Get(linear + ".scale");
        var spec = new WeightSpec(w.Name, w.DType, w.Shape.ToArray());
        var (rows, cols) = WeightInit.Logical(spec);
        float[] f = WeightInit.Floats(w.Name, rows, cols, fx.Config, Seed);
        var (codes, scales) = w.DType == DType.I8 ? WeightQuantizer.QuantizeFp4Block32(f, rows, cols) : WeightQuantizer.QuantizeFp8Block128(f, rows, cols);
        Assert.Equal(codes, w.Bytes.ToArray());
        Assert.Equal(scales, s.Bytes.ToArray());
    }

    [Fact]
    public void DirectFp4KeepsTheLayoutAndRuns()
    {
        string dir = Directory.CreateTempSubdirectory("sharpseek-direct-").FullName;
        try
        {
            RandomCheckpoint.Write(Path.Combine(fx.Dir, "source-config.json"), dir, Seed, directFp4: true);
            using ITensorSource direct = Checkpoint.Open(dir);
            Assert.Equal(fx.Weights.Names.Order(StringComparer.Ordinal), direct.Names.Order(StringComparer.Ordinal));
            var specs = DeepSeekV4<float>.WeightMap(fx.Config).ToDictionary(s => s.Name);
            int fp4 = 0;
            foreach (string name in fx.Weights.Names)
            {
                TensorView a = fx.Weights.Get(name), b = direct.Get(name);
                Assert.Equal((a.DType, a.ShapeString), (b.DType, b.ShapeString));
                if (!DirectFp4.Holds(specs[name], specs)) { Assert.True(a.Bytes.SequenceEqual(b.Bytes), $"{name} differs"); continue; }
                if (b.DType != DType.I8) continue;
                // codes under one power-of-two scale: RMS within a factor sqrt(2) of the initialiser's std
                fp4++;
                string scaleName = name[..^".weight".Length] + ".scale";
                float scale = Fp8E8M0.Decode(direct.Get(scaleName).Bytes[0]);
                Assert.All(direct.Get(scaleName).Bytes.ToArray(), x => Assert.Equal(direct.Get(scaleName).Bytes[0], x));
                double sum = 0;
                foreach (byte p in b.Bytes) { double lo = Fp4E2M1.Decode(p) * scale, hi = Fp4E2M1.Decode(p >> 4) * scale; sum += lo * lo + hi * hi; }
                double rms = Math.Sqrt(sum / (2.0 * b.ByteLength)), std = WeightInit.Std(name, (int)b.Shape[1] * 2, fx.Config);
                Assert.InRange(rms / std, 1 / Math.Sqrt(2), Math.Sqrt(2));
            }
            Assert.True(fp4 > 0);
            var m = DeepSeekV4<float>.Load(ModelConfig.Load(Path.Combine(dir, "config.json")), direct);
            var logits = new float[4 * m.VocabSize];
            m.Forward([1, 2, 3, 4], new SequenceState<float>(m.Config), logits);
            Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        }
        finally { Directory.Delete(dir, true); }
    }
}
