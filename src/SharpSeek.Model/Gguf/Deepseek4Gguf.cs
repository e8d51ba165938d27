// Boundary: opens a deepseek4 (V4) or deepseek41 (V4.1) GGUF file (or split set) as what the model loads
// from: the config from its metadata and a tensor source serving the official weight names
// (Deepseek4GgufNames / Deepseek41GgufNames). A V4 model's MTP block comes from llama.cpp's separate MTP
// file beside it ("mtp-" + the file's name), or from the file itself when it holds its nextn block
// (llama.cpp's one-file layout, whose MTP uses the main hc_head).
using SharpSeek.Formats;
using SharpSeek.Formats.Gguf;
using SharpSeek.Formats.Safetensors;
using SharpSeek.Model.Config;
using SharpSeek.Model.Config.V41;

namespace SharpSeek.Model.Gguf;

public static class Deepseek4Gguf
{
    /// <summary>Whether <paramref name="path"/> names a GGUF file (by extension).</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where the MTP file of the model at <paramref name="modelPath"/> is looked for: "mtp-" + its name, beside it (llama.cpp's prefix).</summary>
    public static string MtpPath(string modelPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "mtp-" + Path.GetFileName(modelPath));

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
    /// DSpark head) and <c>Config</c> what it shares with V4 (<see cref="EngramTokenMap"/> reads its token map).
    /// </summary>
    public static (ModelConfig Config, V41Config? V41, GgufTensorSource Weights) OpenAny(string path, WeightsMemory memory = WeightsMemory.Auto)
    {
        GgufModelFiles files = GgufModelFiles.Open(path, memory);
        GgufModelFiles? mtp = null;
        try
        {
            string first = files.Parts[0].Path;
            if (files.Metadata.TryGetValue("general.architecture", out GgufValue? a) && a.Type == GgufValueType.String && a.AsString("general.architecture") == Deepseek41GgufConfig.Architecture)
            {
                V41Config v41 = Deepseek41GgufConfig.FromMetadata(files.Metadata, first);
                var table = Deepseek41GgufNames.Table(v41);
                table[Deepseek41GgufNames.EngramTokenMap] = new(Deepseek41GgufNames.EngramTokenMap);
                return (v41.Base, v41, new GgufTensorSource(files, table));
            }
            ModelConfig config = Deepseek4GgufConfig.FromMetadata(files.Metadata, first);
            if (config.NumMtpLayers > 0 && !files.TryGet("blk.0.attn_norm.weight", out _, out _))
                throw new ModelConfigException($"{first}: an MTP-only GGUF (llama.cpp's convert_hf_to_gguf.py --mtp) holds no main model; open the model's GGUF, and keep this file beside it as 'mtp-<model file name>'");
            var sources = new List<(GgufModelFiles, IReadOnlyDictionary<string, GgufTensorRef>)> { (files, Deepseek4GgufNames.Table(config)) };
            string mtpPath = MtpPath(first);
            if (File.Exists(mtpPath))
            {
                mtp = GgufModelFiles.Open(mtpPath, memory);
                ModelConfig withMtp = Deepseek4GgufConfig.FromMetadata(mtp.Metadata, mtp.Parts[0].Path);
                if (withMtp.NumMtpLayers == 0 || !SameModel(config, withMtp))
                    throw new ModelConfigException($"{mtpPath}: not the MTP file of {first} (its metadata describes {(withMtp.NumMtpLayers == 0 ? "no MTP block" : "another model")})");
                config = withMtp;
                sources.Add((mtp, Deepseek4GgufNames.MtpTable(config)));
            }
            else if (config.NumMtpLayers > 0)
                sources.Add((files, Deepseek4GgufNames.MtpTable(config)));   // one file holding its nextn block too
            return (config, null, new GgufTensorSource(sources));
        }
        catch
        {
            files.Dispose();
            mtp?.Dispose();
            throw;
        }
    }

    /// <summary>The Engram token map a deepseek41 GGUF stores (null when the config has no Engram layers); it must cover the vocabulary.</summary>
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

    // The same main model, whatever each says of MTP blocks.
    private static bool SameModel(ModelConfig a, ModelConfig b) =>
        (a with { NumMtpLayers = 0, CompressRatios = Array.Empty<int>() }) == (b with { NumMtpLayers = 0, CompressRatios = Array.Empty<int>() })
        && a.CompressRatios.Take(a.NumLayers).SequenceEqual(b.CompressRatios.Take(b.NumLayers));
}
