// Boundary: opens a deepseek4 GGUF file (or split set) as what the model loads from: the ModelConfig
// from its metadata and a tensor source serving the official weight names (Deepseek4GgufNames). The
// MTP block comes from llama.cpp's separate MTP file beside it ("mtp-" + the file's name), or from the
// file itself when it holds its nextn block (llama.cpp's one-file layout, whose MTP uses the main hc_head).
using SharpSeek.Formats.Gguf;
using SharpSeek.Model.Config;

namespace SharpSeek.Model.Gguf;

public static class Deepseek4Gguf
{
    /// <summary>Whether <paramref name="path"/> names a GGUF file (by extension).</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where the MTP file of the model at <paramref name="modelPath"/> is looked for: "mtp-" + its name, beside it (llama.cpp's prefix).</summary>
    public static string MtpPath(string modelPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "mtp-" + Path.GetFileName(modelPath));

    public static (ModelConfig Config, GgufTensorSource Weights) Open(string path)
    {
        GgufModelFiles files = GgufModelFiles.Open(path);
        GgufModelFiles? mtp = null;
        try
        {
            string first = files.Parts[0].Path;
            ModelConfig config = Deepseek4GgufConfig.FromMetadata(files.Metadata, first);
            if (config.NumMtpLayers > 0 && !files.TryGet("blk.0.attn_norm.weight", out _, out _))
                throw new ModelConfigException($"{first}: an MTP-only GGUF (llama.cpp's convert_hf_to_gguf.py --mtp) holds no main model; open the model's GGUF, and keep this file beside it as 'mtp-<model file name>'");
            var sources = new List<(GgufModelFiles, IReadOnlyDictionary<string, GgufTensorRef>)> { (files, Deepseek4GgufNames.Table(config)) };
            string mtpPath = MtpPath(first);
            if (File.Exists(mtpPath))
            {
                mtp = GgufModelFiles.Open(mtpPath);
                ModelConfig withMtp = Deepseek4GgufConfig.FromMetadata(mtp.Metadata, mtp.Parts[0].Path);
                if (withMtp.NumMtpLayers == 0 || !SameModel(config, withMtp))
                    throw new ModelConfigException($"{mtpPath}: not the MTP file of {first} (its metadata describes {(withMtp.NumMtpLayers == 0 ? "no MTP block" : "another model")})");
                config = withMtp;
                sources.Add((mtp, Deepseek4GgufNames.MtpTable(config)));
            }
            else if (config.NumMtpLayers > 0)
                sources.Add((files, Deepseek4GgufNames.MtpTable(config)));   // one file holding its nextn block too
            return (config, new GgufTensorSource(sources));
        }
        catch
        {
            files.Dispose();
            mtp?.Dispose();
            throw;
        }
    }

    // The same main model, whatever each says of MTP blocks.
    private static bool SameModel(ModelConfig a, ModelConfig b) =>
        (a with { NumMtpLayers = 0, CompressRatios = Array.Empty<int>() }) == (b with { NumMtpLayers = 0, CompressRatios = Array.Empty<int>() })
        && a.CompressRatios.Take(a.NumLayers).SequenceEqual(b.CompressRatios.Take(b.NumLayers));
}
