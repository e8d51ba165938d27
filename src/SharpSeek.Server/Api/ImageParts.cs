// OpenAI image content parts ({"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}})
// -> the image bytes, with a marker left in the message text where the part stood. Only data: URLs are
// read: an http(s) URL is refused with a 400 and nothing is downloaded.
using System.Text.Json;

namespace SharpSeek.Server.Api;

/// <summary>One image of a request: its encoded bytes and the request path it came from (for errors).</summary>
public sealed record ImagePart(byte[] Bytes, string Path);

public static class ImageParts
{
    /// <summary>Stands in the rendered prompt where an image's token goes (private-use characters, split off before tokenizing).</summary>
    public const string Marker = Tokenization.Chat.ImagePlaceholder.Marker;

    /// <summary>Largest decoded image accepted in a request (bytes).</summary>
    public const int MaxImageBytes = 32 << 20;

    public static ImagePart Parse(JsonElement part, string path)
    {
        path += ".image_url";
        if (!part.TryGetProperty("image_url", out JsonElement iu)) throw ApiError.BadRequest($"{path} is missing", path);
        string? url = iu.ValueKind switch
        {
            JsonValueKind.String => iu.GetString(),
            JsonValueKind.Object => RequestFields.String(iu, "url"),
            _ => null,
        };
        if (string.IsNullOrEmpty(url)) throw ApiError.BadRequest($"{path}.url is missing", path);
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw ApiError.BadRequest($"{path}.url: image URLs are not fetched (this server downloads nothing); send the image inline as a data: URL (data:image/png;base64,...)", path, "image_url_not_supported");
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            throw ApiError.BadRequest($"{path}.url must be a data: URL (data:image/png;base64,...)", path);
        int comma = url.IndexOf(',');
        if (comma < 0) throw ApiError.BadRequest($"{path}.url: a data: URL needs a comma before its payload", path);
        string header = url[5..comma];
        if (!header.Contains(";base64", StringComparison.OrdinalIgnoreCase)) throw ApiError.BadRequest($"{path}.url: only base64 data: URLs are read (data:image/png;base64,...)", path);
        string payload = url[(comma + 1)..];
        if ((long)payload.Length * 3 / 4 > MaxImageBytes) throw ApiError.BadRequest($"{path}: the image is larger than {MaxImageBytes >> 20} MiB", path);
        try { return new ImagePart(Convert.FromBase64String(payload), path); }
        catch (FormatException) { throw ApiError.BadRequest($"{path}.url: the data: URL payload is not valid base64", path); }
    }
}
