// Boundary: opens a deepseek4 (V4) or deepseek41 (V4.1) GGUF file (or split set) as what the model loads
// from: the config from its metadata and a tensor source serving the official weight names
// (Deepseek4GgufNames / Deepseek41GgufNames).
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Model.Gguf;

public static class Deepseek4Gguf
{
    /// <summary>Whether <paramref name="path"/> names a GGUF file (by extension).</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>A deepseek4 (V4) GGUF; a deepseek41 file is refused by name (open it with <see cref="OpenAny"/>).</summary>
    public static (ModelConfig Config, GgufTensorSource Weights) Open(string path)
    {
        var (config, v41, weights) = OpenAny(path);
        if (v41 is null) return (config, weights);
        weights.Dispose();
        throw new ModelConfigException($"{path}: a deepseek41 (DeepSeek V4.1) GGUF, where a deepseek4 (V4) model is expected");
    }

    /// <summary>
    /// A deepseek4 or deepseek41 GGUF: for V4.1, <c>V41</c> is its config (the text model: no vision tower, no
    /// DSpark head) and <c>Config</c> what it shares with V4; <c>EngramTokenMap</c> the compressed token map it stores.
    /// </summary>
    public static (ModelConfig Config, V41Config? V41, GgufTensorSource Weights) OpenAny(string path)
    {
        GgufModelFiles files = GgufModelFiles.Open(path);
        try
        {
            if (files.Metadata.TryGetValue("general.architecture", out GgufValue? a) && a.Type == GgufValueType.String && a.AsString("general.architecture") == Deepseek41GgufConfig.Architecture)
            {
                V41Config v41 = Deepseek41GgufConfig.FromMetadata(files.Metadata, files.Parts[0].Path);
                var table = Deepseek41GgufNames.Table(v41);
                table[Deepseek41GgufNames.EngramTokenMap] = new(Deepseek41GgufNames.EngramTokenMap);
                return (v41.Base, v41, new GgufTensorSource(files, table));
            }
            ModelConfig config = Deepseek4GgufConfig.FromMetadata(files.Metadata, files.Parts[0].Path);
            return (config, null, new GgufTensorSource(files, Deepseek4GgufNames.Table(config)));
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    /// <summary>The Engram token map a deepseek41 GGUF stores (null when it holds none); its length must cover the vocabulary.</summary>
    public static int[]? EngramTokenMap(GgufTensorSource weights, V41Config config)
    {
        if (!config.Engram.Enabled) return null;
        if (!weights.TryGet(Deepseek41GgufNames.EngramTokenMap, out var v))
            throw new InvalidDataException($"{weights.Description}: this V4.1 GGUF has Engram layers but no '{Deepseek41GgufNames.EngramTokenMap}' tensor");
        if (v.DType != Tensors.DType.I32 || v.Rank != 1 || v.Dim(0) < config.Base.VocabSize)
            throw new InvalidDataException($"{weights.Description}: '{Deepseek41GgufNames.EngramTokenMap}' must be I32 [>= {config.Base.VocabSize}], got {v.DType} {v.ShapeString}");
        int[] map = v.ReadAsInt32();
        int bad = Array.FindIndex(map, x => x < 0 || x >= config.Engram.CompressedVocabSize);
        if (bad >= 0) throw new InvalidDataException($"{weights.Description}: '{Deepseek41GgufNames.EngramTokenMap}'[{bad}] = {map[bad]} is outside [0, {config.Engram.CompressedVocabSize})");
        return map;
    }
}
