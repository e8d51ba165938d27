// `--image FILE` (repeatable) for logits and generate: each file decoded and preprocessed for the
// model's vision config; the prompt holds one image token id per image where its span starts.
using System.CommandLine;
using System.Numerics;
using SharpSeek.Images;
using SharpSeek.Model.Config.V41;
using SharpSeek.Model.Layers.V41.Vision;

namespace SharpSeek.Cli.Commands;

public static class ImageFiles
{
    public static Option<string[]> Option() => new("--image")
    {
        Description = "Image file (PNG, JPEG, GIF, WebP; repeatable): the prompt holds one image token id per image, where its span starts",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The files preprocessed for <paramref name="config"/> (null: the model is not V4.1), errors as CLI errors.</summary>
    public static List<ImagePatches<T>> Load<T>(IReadOnlyList<string> files, V41Config? config) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var images = new List<ImagePatches<T>>(files.Count);
        if (files.Count == 0) return images;
        if (config is null || !config.Vision.Enabled) throw new CliException("--image: this model has no vision tower (V4.1 with vision_n_layers > 0 reads images)");
        foreach (string f in files)
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(f); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"--image '{f}': {e.Message}"); }
            try
            {
                PreparedImage p = ImagePreprocessor.Load(bytes, config.Vision, $"--image '{f}'");
                images.Add(new ImagePatches<T>(p.Patches.Select(T.CreateTruncating).ToArray(), p.Grid));
            }
            catch (ImageInputException e) { throw new CliException(e.Message); }
        }
        return images;
    }
}
