// The trainer and the inference model share one description of the network: the training graph
// binds its parameters through WeightScope's own construction (an unknown name, a wrong shape or
// an unused tensor fails at construction), the same seeded initialiser (an init-random checkpoint
// is the trainer's step-0 export, byte for byte), and SharpSeek.Training depends on Tensors,
// Formats, Model and Tokenization only (not Runtime).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
using SharpSeek.Tensors;
using SharpSeek.Training.Export;
using SharpSeek.Training.Modeling;

namespace SharpSeek.Training.Tests;

public sealed class OneModelDescriptionTests
{
    [Theory]
    [InlineData("micro", 7UL)]
    [InlineData("nano", 20260UL)]
    public void InitRandomWritesTheTrainersInitialWeights(string preset, ulong seed)
    {
        string cfgJson = Presets.Get(preset).ConfigJson;
        string root = Path.Combine(Path.GetTempPath(), "sharpseek-init-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(root);
            string cfgPath = Path.Combine(root, "config.json");
            File.WriteAllText(cfgPath, cfgJson);
            string rand = Path.Combine(root, "random"), trained = Path.Combine(root, "step0");
            RandomCheckpoint.Write(cfgPath, rand, seed);
            CheckpointExporter.Export(new ParameterSet(ModelConfigParser.Parse(cfgJson), seed), cfgJson, null, trained);
            using ITensorSource a = Checkpoint.Open(rand), b = Checkpoint.Open(trained);
            var names = DeepSeekV4Names(cfgJson);
            Assert.NotEmpty(names);
            foreach (string name in names)
            {
                Assert.True(a.TryGet(name, out TensorView? x), name);
                Assert.True(b.TryGet(name, out TensorView? y), name);
                Assert.Equal(x.DType, y.DType);
                Assert.True(x.Bytes.SequenceEqual(y.Bytes), $"{name}: init-random and the trainer's initial export differ");
            }
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void TheGraphBindsEveryTensorOfTheWeightMapByWeightScopeNames()
    {
        var p = new ParameterSet(ModelConfigParser.Parse(Presets.Get("micro").ConfigJson), seed: 1);
        _ = new V4Graph(p);   // CheckAllBound inside: the graph asked for every tensor once
        ParameterScope root = ParameterScope.Root(p);
        ParameterScope attn = root.Scope("layers").Scope(0).Scope("attn");
        int dim = p.Config.Dim, q = p.Config.QLoraRank;
        Assert.Same(p["layers.0.attn.wq_a.weight"].Value, attn.Linear("wq_a", q, dim, LinearKind.Dense));
        Assert.Same(p["layers.0.attn.q_norm.weight"].Value, attn.Norm("q_norm", q));
        Assert.Same(p["layers.0.hc_attn_base"], root.Scope("layers").Scope(0).Vector(SharpSeek.Model.Layers.HyperNames.Base("attn"), DType.F32, p.Config.MixHc));
        Assert.Equal(3, root.Bound.Count);
        // a name the weight map does not hold, a shape or dtype it disagrees with, a second binding
        Assert.Contains("'layers.0.attn.wq_c.weight'", Assert.Throws<KeyNotFoundException>(() => attn.Linear("wq_c", q, dim, LinearKind.Dense)).Message);
        Assert.Contains("layers.0.attn.wq_b.weight", Assert.Throws<InvalidOperationException>(() => attn.Linear("wq_b", 3, q, LinearKind.Dense)).Message);
        Assert.Contains("bound twice", Assert.Throws<InvalidOperationException>(() => attn.Linear("wq_a", q, dim, LinearKind.Dense)).Message);
        Assert.Throws<InvalidOperationException>(() => attn.Linear("wkv", p.Config.HeadDim, dim, LinearKind.Bf16));   // FP8 in this config
        // a graph that leaves tensors out is refused
        var e = Assert.Throws<InvalidOperationException>(root.CheckAllBound);
        Assert.Contains("embed.weight", e.Message);
    }

    [Fact]
    public void WeightDecayFollowsTheSharedRule()
    {
        var p = new ParameterSet(ModelConfigParser.Parse(Presets.Get("micro").ConfigJson), seed: 1);
        foreach (WeightSpec s in p.Specs.Where(s => p.Contains(s.Name)))
            Assert.Equal(WeightInit.Decays(s), p[s.Name].Decay);
        // matrices decay; norms, biases, sinks, mHC matrices and scalars do not
        Assert.True(p["layers.0.attn.wq_a.weight"].Decay && p["embed.weight"].Decay && p["layers.1.attn.compressor.ape"].Decay);
        Assert.DoesNotContain(p.All, q => q.Decay && (q.Name.Contains("hc_") || q.Name.EndsWith("norm.weight") || q.Name.EndsWith("attn_sink") || q.Name.EndsWith("gate.bias")));
    }

    [Fact]
    public void TrainingDoesNotReferenceRuntime()
    {
        string csproj = File.ReadAllText(Path.Combine(TestPaths.Repo, "src", "SharpSeek.Training", "SharpSeek.Training.csproj"));
        string[] refs = System.Text.RegularExpressions.Regex.Matches(csproj, @"ProjectReference Include=""\.\./([^/""]+)/").Select(m => m.Groups[1].Value).Order().ToArray();
        Assert.Equal(["SharpSeek.Formats", "SharpSeek.Model", "SharpSeek.Tensors", "SharpSeek.Tokenization"], refs);
        Assert.DoesNotContain(typeof(Trainer).Assembly.GetReferencedAssemblies(), n => n.Name == "SharpSeek.Runtime");
    }

    private static List<string> DeepSeekV4Names(string cfgJson) =>
        SharpSeek.Model.Architectures.DeepSeekV4<float>.WeightMap(ModelConfigParser.Parse(cfgJson)).Select(s => s.Name).ToList();
}
