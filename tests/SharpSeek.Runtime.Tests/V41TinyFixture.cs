// The golden V4.1 checkpoint (tests/fixtures/v41-tiny) as a runtime model, with its cases file and the
// Engram token map the cases carry: shared by the V4.1 runtime and DSpark tests.
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Config.V41;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Tests;

public sealed class V41TinyFixture : IDisposable
{
    public SafetensorsFile Weights { get; }
    public SafetensorsFile Cases { get; }
    public V41LanguageModel Model { get; }

    public V41TinyFixture()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpSeek.sln"))) dir = dir.Parent;
        string root = Path.Combine(dir!.FullName, "tests", "fixtures", "v41-tiny");
        Weights = SafetensorsFile.Open(Path.Combine(root, "model.safetensors"));
        Cases = SafetensorsFile.Open(Path.Combine(root, "cases.safetensors"));
        Model = new V41LanguageModel(DeepSeekV41<float>.Load(V41Config.Load(Path.Combine(root, "config.json")), Weights, Ids("engram.token_map")));
    }

    /// <summary>An int64 tensor of the cases file as ids.</summary>
    public int[] Ids(string name) => Cases.Get(name).ReadAsInt64().Select(v => (int)v).ToArray();

    public void Dispose() { Weights.Dispose(); Cases.Dispose(); }
}
