// Reads a JSON request body under the size limit: 413 when Content-Length or the bytes read exceed
// it, 400 with the parser's position when the JSON is malformed or not an object, or when a string
// or key holds invalid UTF-8 or escapes a lone surrogate ("\ud83d"), which the JSON parser lets
// through but UTF-16 text cannot hold: checked here once, so no later GetString can throw.
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpSeek.Server.Api;

public static class RequestBody
{
    public static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) throw TooLarge(limit);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > limit) throw TooLarge(limit);
            buffer.Write(chunk, 0, n);
        }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)); }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"We could not parse the JSON body of your request: {e.Message}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw ApiError.BadRequest("The request body must be a JSON object.");
        }
        if (FirstInvalidString(doc.RootElement, "") is string path)
        {
            doc.Dispose();
            throw ApiError.BadRequest($"The request body has a string that is not valid Unicode (invalid UTF-8 or a lone surrogate escape) at {(path.Length == 0 ? "the top level" : path)}.", path.Length == 0 ? null : path);
        }
        return doc;
    }

    /// <summary>The path of the first string or key that cannot be decoded, or null.</summary>
    private static string? FirstInvalidString(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(e) ? null : path;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in e.EnumerateArray())
                    if (FirstInvalidString(item, $"{path}[{i++}]") is string bad) return bad;
                return null;
            case JsonValueKind.Object:
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException) { return path.Length == 0 ? "a key" : path + " (a key)"; }
                    if (FirstInvalidString(p.Value, path.Length == 0 ? name : $"{path}.{name}") is string bad) return bad;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool Decodes(JsonElement s)
    {
        // The parser accepts invalid UTF-8 inside strings and escaped lone surrogates; decoding refuses both.
        try { _ = s.GetString(); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private static ApiError TooLarge(long limit) =>
        new(413, $"The request body exceeds the limit of {limit} bytes.", "invalid_request_error", null, "request_too_large");
}
