// A chat prompt with images -> engine input: the rendered text is split at ImageParts.Marker, each
// piece tokenized, one image token id per image between them (as prepare_vl_inputs expects); the
// images are decoded and preprocessed (SharpSeek.Images), then ImagePrefill (Runtime) forks the longest
// cached prefix (the key holds each image's content hash), encodes the images after it and feeds all
// but the last prompt token into a sequence of the request's own, which the engine then continues.
using SharpSeek.Images;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Models;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public static class ImagePrompt
{
    /// <summary>Whether the served model reads images (a V4.1 checkpoint with a vision tower); the chat page asks via /chat/config.</summary>
    public static bool Supported(ServingContext engine) => engine.Model is V41LanguageModel { Network.HasVision: true };

    public static PrefilledPrompt Prepare(ServingContext engine, Tokenizer tokenizer, string prompt, IReadOnlyList<ImagePart> images)
    {
        string first = images[0].Path;
        if (!Supported(engine) || engine.Model is not V41LanguageModel v41)
            throw ApiError.BadRequest($"{first}: this model has no vision tower, so image content parts cannot be read", first, "images_not_supported");
        var net = v41.Network;
        // 1. ids: the text pieces tokenized, one image token id where each image stood
        int[] ids;
        try { ids = ImagePlaceholder.Encode(tokenizer, prompt, net.Config.ImageTokenId, images.Count); }
        catch (ArgumentException e) { throw ApiError.BadRequest(e.Message, "messages"); }
        // 2. every image decoded and preprocessed; a bad one is a 400 naming its part
        var patches = new List<ImagePatches<float>>(images.Count);
        foreach (ImagePart part in images)
        {
            try
            {
                PreparedImage p = ImagePreprocessor.Load(part.Bytes, net.Config.Vision, part.Path);
                patches.Add(new ImagePatches<float>(p.Patches, p.Grid));
            }
            catch (ImageInputException e) { throw ApiError.BadRequest(e.Message, part.Path, "invalid_image"); }
        }
        // 3. spans expanded and checked against the budget, then the cached prefix forked and the rest fed
        int expanded = ImageSpans.Layout(net, ids, patches.Select(p => p.Grid).ToArray()).Ids.Length;
        engine.Budget(expanded, null, "messages");
        try { return ImagePrefill.Prepare(engine.Engine, v41, ids, patches); }
        catch (ArgumentException e) { throw ApiError.BadRequest(e.Message, "messages"); }
    }
}
