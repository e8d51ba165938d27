// Boundary: opens a deepseek4 GGUF file (or split set) as what the model loads from: the ModelConfig
// from its metadata and a tensor source serving the official weight names (Deepseek4GgufNames).
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Gguf;

public static class Deepseek4Gguf
{
    /// <summary>Whether <paramref name="path"/> names a GGUF file (by extension).</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    public static (ModelConfig Config, GgufTensorSource Weights) Open(string path)
    {
        GgufModelFiles files = GgufModelFiles.Open(path);
        try
        {
            ModelConfig config = Deepseek4GgufConfig.FromMetadata(files.Metadata, files.Parts[0].Path);
            return (config, new GgufTensorSource(files, Deepseek4GgufNames.Table(config)));
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }
}
