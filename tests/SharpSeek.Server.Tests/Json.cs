// Small helpers: post JSON, parse responses, read an SSE body into its data payloads.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpSeek.Server.Tests;

public static class Json
{
    public static StringContent Body(object o) => new(JsonSerializer.Serialize(o), Encoding.UTF8, "application/json");

    public static async Task<(int Status, JsonNode Body)> PostAsync(HttpClient c, string path, object body)
    {
        using HttpResponseMessage r = await c.PostAsync(path, Body(body));
        return ((int)r.StatusCode, JsonNode.Parse(await r.Content.ReadAsStringAsync())!);
    }

    /// <summary>The `data:` payloads of an SSE body, asserting the framing (blank line after each event).</summary>
    public static List<string> SseData(string body)
    {
        var events = body.Split("\n\n", StringSplitOptions.None);
        Assert.Equal("", events[^1]);
        var data = new List<string>();
        foreach (string e in events[..^1])
        {
            Assert.StartsWith("data: ", e);
            Assert.DoesNotContain("\n", e);
            data.Add(e["data: ".Length..]);
        }
        return data;
    }

    public static object ChatBody(string user, int maxTokens = 8, bool stream = false, double temperature = 0, long seed = 1, object? extra = null)
    {
        var d = new Dictionary<string, object?>
        {
            ["model"] = "tiny", ["messages"] = new[] { new { role = "user", content = user } }, ["max_tokens"] = maxTokens,
            ["stream"] = stream, ["temperature"] = temperature, ["seed"] = seed, ["return_token_ids"] = true,
        };
        if (extra is not null) foreach (var (k, v) in JsonSerializer.SerializeToNode(extra)!.AsObject()) d[k] = v?.DeepClone();
        return d;
    }
}
