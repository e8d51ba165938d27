// The chat encoding's image placeholder: a front end leaves Marker in a user message's text where an
// image stood; after the conversation is rendered, Encode splits the prompt at the markers, tokenizes
// each piece and writes ONE image token id per image between them (the engine expands each into its
// span, as the official prepare_vl_inputs does). Every front end (OpenAI API, IChatClient, chat) uses it.
namespace SharpSeek.Tokenization.Chat;

public static class ImagePlaceholder
{
    /// <summary>Stands in the rendered prompt where an image's token goes (private-use characters, split off before tokenizing).</summary>
    public const string Marker = "\uE000\uE001image\uE001\uE000";

    /// <summary>The prompt's ids with <paramref name="imageTokenId"/> where each marker stood; the markers must be exactly <paramref name="images"/>.</summary>
    public static int[] Encode(Tokenizer tokenizer, string prompt, int imageTokenId, int images)
    {
        string[] pieces = prompt.Split(Marker);
        if (pieces.Length - 1 != images)
            throw new ArgumentException($"the rendered prompt holds {pieces.Length - 1} image placeholders for {images} image{(images == 1 ? "" : "s")}: message text must not contain the characters reserved for image markers");
        var ids = new List<int>();
        for (int i = 0; i < pieces.Length; i++)
        {
            tokenizer.Encode(pieces[i], ids);
            if (i < images) ids.Add(imageTokenId);
        }
        return [.. ids];
    }
}
