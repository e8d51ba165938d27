// The V4.1 golden checkpoint written as a deepseek41 GGUF (Deepseek4GgufWriter, Deepseek41Gguf*) and run
// from the GGUF: the config survives the metadata, the lossless file (BF16 matrices holding e4m3 x 2^k
// exactly, MXFP4 experts, the FP8 Engram tables as raw bytes, the token map stored) equals the official
// reference on every golden check in float64, and a broken deepseek41 file is refused by name.
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Gguf;
using SharpSeek.Model.Tests.V41;
using SharpSeek.Tensors.Ggml;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Engram;

namespace SharpSeek.Model.Tests.Gguf;

public sealed class V41GgufTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpseek-gguf41-").FullName;
    private readonly V41Config _config = V41Config.Load(Fixtures.Path("v41-tiny", "config.json"));
    private readonly int[] _map = CompressedTokenMap.Build(Tokenizer.Load(Fixtures.Path("v41-tiny", "tokenizer.json"))).Map;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string preset, IEnumerable<KeyValuePair<string, GgufValue>>? extra = null)
    {
        string path = Path.Combine(_dir, preset + ".gguf");
        using ITensorSource official = Checkpoint.Open(Fixtures.Path("v41-tiny", "model.safetensors"));
        Deepseek4GgufWriter.Write(path, _config, official, GgufRecipe.Presets[preset], extra, _map);
        return path;
    }

    [Fact]
    public void ConfigRoundTripsThroughTheMetadata()
    {
        var (config, v41, weights) = Deepseek4Gguf.OpenAny(Write("q8_0"));
        using var _ = weights;
        Assert.NotNull(v41);
        Assert.Same(v41.Base, config);
        V41Config text = Deepseek41GgufNames.TextModel(_config);
        // The GGUF holds ggml blocks (dtype bf16) and the text model; llama.cpp's keys hold float32.
        Assert.Equal(text.KvSourceLayers, v41.KvSourceLayers);
        Assert.Equal(text.IndexSourceLayers, v41.IndexSourceLayers);
        Assert.Equal(text.Candidates, v41.Candidates);
        Assert.Equal(text.Engram.LayerIds, v41.Engram.LayerIds);
        Assert.Equal(text.Engram.NumEmbeddings, v41.Engram.NumEmbeddings);
        Assert.Equal(text.Engram with { LayerIds = [], NumEmbeddings = [] }, v41.Engram with { LayerIds = [], NumEmbeddings = [] });
        Assert.False(v41.Vision.Enabled);
        Assert.False(v41.DSpark.Enabled);
        Assert.Equal(text.Base.CompressRatios, v41.Base.CompressRatios);
        Assert.Equal((float)text.Base.NormEps, (float)v41.Base.NormEps);
        Assert.Equal(text.OriginalSeqLen, v41.OriginalSeqLen);
        Assert.Equal(text.Base with { Fp8Weights = false, ExpertFormat = ExpertFormat.Bf16, CompressRatios = [], NormEps = 0, HcEps = 0, RopeTheta = 0, CompressRopeTheta = 0, RouteScale = 0, SwigluLimit = 0, RopeScaling = null },
            v41.Base with { CompressRatios = [], NormEps = 0, HcEps = 0, RopeTheta = 0, CompressRopeTheta = 0, RouteScale = 0, SwigluLimit = 0, RopeScaling = null });
        Assert.Equal(_map, Deepseek4Gguf.EngramTokenMap(weights, v41));
        Assert.True(weights.TryGetGgml("layers.0.engram.embed.weight", out GgmlTensor? table));
        Assert.Equal(GgmlType.I8, table.Type.Type);   // the FP8 table as raw bytes
    }

    [Theory]
    [InlineData("short")]
    [InlineData("long")]
    public void LosslessGgufEqualsTheReferenceOnEveryGoldenCheck(string name)
    {
        var (_, v41, weights) = Deepseek4Gguf.OpenAny(Write("lossless"));
        using var w = weights;
        using var cases = new V41Cases();
        var net = DeepSeekV41<double>.Load(v41!, weights, Deepseek4Gguf.EngramTokenMap(weights, v41!));
        var run = new V41GoldenRun<double>(net, cases, name);
        var cmp = new V41GoldenCompare<double>(cases, name, run, v41!, "_f64", 1e-6, 1e-6);
        cmp.All();
        Assert.True(cmp.Ok, cmp.Report());
        Assert.True(cmp.Checked > 100, $"only {cmp.Checked} checks");
    }

    [Fact]
    public void AV4LoaderRefusesADeepseek41FileByName()
    {
        var ex = Assert.Throws<ModelConfigException>(() => Deepseek4Gguf.Open(Write("q8_0")));
        Assert.Contains("deepseek41", ex.Message);
    }

    [Fact]
    public void MissingKeysAndABadTokenMapAreNamed()
    {
        string good = Write("q8_0");
        // a required key dropped: rewrite the metadata without it
        using (GgufFile f = GgufFile.Open(good))
        {
            string key = Deepseek41GgufConfig.KeyOf(V41ConfigKeys.Dim);
            var meta = f.Metadata.Where(p => p.Key != key).ToList();
            string broken = Path.Combine(_dir, "no-dim.gguf");
            GgufWriter.Write(broken, meta, f.Tensors.Select(t => GgufTensorToWrite.FromBytes(t.Name, t.Type.Type, t.Dims.ToArray(), f.Bytes(t).ToArray())).ToList());
            var ex = Assert.Throws<ModelConfigException>(() => Deepseek4Gguf.OpenAny(broken));
            Assert.Contains(key, ex.Message);
        }
        // a token map pointing past the compressed vocabulary
        int[] bad = (int[])_map.Clone();
        bad[7] = _config.Engram.CompressedVocabSize;
        string path = Path.Combine(_dir, "bad-map.gguf");
        using (ITensorSource official = Checkpoint.Open(Fixtures.Path("v41-tiny", "model.safetensors")))
            Deepseek4GgufWriter.Write(path, _config, official, GgufRecipe.Presets["q8_0"], null, bad);
        var (_, v41, weights) = Deepseek4Gguf.OpenAny(path);
        using var w = weights;
        var e2 = Assert.Throws<InvalidDataException>(() => Deepseek4Gguf.EngramTokenMap(weights, v41!));
        Assert.Contains("engram_token_map", e2.Message);
        Assert.Contains("[7]", e2.Message);
    }
}
