// The trainer and the inference model share one description of the network: the same seeded
// initialiser (an init-random checkpoint is the trainer's step-0 export, byte for byte), and
// SharpSeek.Training depends on Tensors, Formats, Model and Tokenization only (not Runtime).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Weights;
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
