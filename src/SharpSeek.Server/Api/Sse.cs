// Server-sent events as OpenAI streams them: `data: {json}\n\n` per chunk, `data: [DONE]\n\n` last
// (chat and completions); named `event:` + `data:` pairs for the Responses API.
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpSeek.Server.Api;

public static class Sse
{
    public static void Start(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public static async Task WriteDataAsync(HttpResponse response, object payload, CancellationToken ct)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(payload, ApiJson.Options) + "\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>A named event (the Responses API's form): `event: TYPE\ndata: {json}\n\n`.</summary>
    public static async Task WriteEventAsync(HttpResponse response, string type, object payload, CancellationToken ct)
    {
        await response.WriteAsync("event: " + type + "\ndata: " + JsonSerializer.Serialize(payload, ApiJson.Options) + "\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    public static async Task WriteDoneAsync(HttpResponse response, CancellationToken ct)
    {
        await response.WriteAsync("data: [DONE]\n\n", ct);
        await response.Body.FlushAsync(ct);
    }
}
