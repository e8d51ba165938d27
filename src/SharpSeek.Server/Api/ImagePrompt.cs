// A chat prompt with images -> engine input: the rendered text is split at ImageParts.Marker, each
// piece tokenized, one image token id per image between them (as prepare_vl_inputs expects); the
// images are decoded and preprocessed (SharpSeek.Images), the spans expanded and all but the last
// prompt token prefilled into a sequence of the request's own, which the engine then continues.
// The prefix cache is not consulted for such a prompt: its images are part of its prefix.
using SharpSeek.Images;
using SharpSeek.Model.Architectures;
using SharpSeek.Model.Layers.V41.Vision;
using SharpSeek.Runtime.Models;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;

namespace SharpSeek.Server.Api;

/// <summary>An image prompt fed up to its last token: the engine continues Sequence with LastIds; PromptTokens counts the expanded prompt.</summary>
public sealed record PrefilledPrompt(int[] LastIds, ISequence Sequence, int PromptTokens);

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
        string[] pieces = prompt.Split(ImageParts.Marker);
        if (pieces.Length - 1 != images.Count) throw ApiError.BadRequest("the message text holds the characters reserved for image markers", "messages");
        var ids = new List<int>();
        for (int i = 0; i < pieces.Length; i++)
        {
            ids.AddRange(tokenizer.Encode(pieces[i]));
            if (i < images.Count) ids.Add(net.Config.ImageTokenId);
        }
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
        // 3. spans expanded, images encoded, all but the last token fed
        var (expanded, input) = ImageSpans.Expand(net, ids.ToArray(), patches);
        engine.Budget(expanded.Length, null, "messages");
        if (input.TokenTypes[^1] != DeepSeekV41<float>.TypeText) throw ApiError.BadRequest("the prompt must end with text after its last image", "messages");
        int n = expanded.Length - 1;
        ISequence seq = v41.CreateSequence();
        v41.ForwardImages(seq, expanded.AsSpan(0, n), new V41ImageInput<float>(input.TokenTypes[..n], input.Rows), new float[(long)n * v41.VocabSize]);
        return new PrefilledPrompt([expanded[n]], seq, expanded.Length);
    }
}
