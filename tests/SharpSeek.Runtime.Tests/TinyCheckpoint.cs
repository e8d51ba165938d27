// The tiny golden V4 checkpoint (tests/fixtures/v4-tiny) loaded once per test class, with its
// golden cases file (prefill/decode ids and logits of the official reference).
using SharpSeek.Formats.Safetensors;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Tests;

public sealed class TinyCheckpoint : IDisposable
{
    public TinyCheckpoint()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpSeek.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("SharpSeek.sln not found above " + AppContext.BaseDirectory);
        Dir = Path.Combine(dir.FullName, "tests", "fixtures", "v4-tiny");
        Directory = ModelDirectory.Open(Dir);
        Cases = SafetensorsFile.Open(Path.Combine(Dir, "cases.safetensors"));
    }

    public string Dir { get; }
    public ModelDirectory Directory { get; }
    public V4LanguageModel Model => (V4LanguageModel)Directory.Model;
    public SafetensorsFile Cases { get; }

    public int[] Ids(string name) => Cases.Get(name).ReadAsInt32();
    public float[] Floats(string name) => Cases.Get(name).ReadAsFloat32();

    public void Dispose()
    {
        Cases.Dispose();
        Directory.Dispose();
    }
}
