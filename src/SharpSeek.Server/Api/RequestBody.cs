// Reads a JSON request body under the size limit: 413 when Content-Length or the bytes read exceed
// it, 400 with the parser's position when the JSON is malformed or not an object.
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
        return doc;
    }

    private static ApiError TooLarge(long limit) =>
        new(413, $"The request body exceeds the limit of {limit} bytes.", "invalid_request_error", null, "request_too_large");
}
