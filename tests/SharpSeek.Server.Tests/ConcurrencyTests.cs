// Continuous batching under load: 16 streaming clients give exactly the tokens each gets alone
// (greedy and seeded sampling), and cancelling half mid-stream leaves the rest exact and the pool empty.
using System.Text.Json.Nodes;
using SharpSeek.Extensions.AI.Tests;
using static SharpSeek.Server.Tests.Json;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class ConcurrencyTests(TestAssets assets)
{
    private const int Tokens = 24;

    private static object Request(int i, int max = Tokens) => ChatBody($"Client {i} asks about the weather number {i * 7}.", max, stream: true,
        temperature: i % 2 == 0 ? 0 : 1.0, seed: 100 + i);

    // Streams one request; cancels after `cancelAfter` token chunks when set. Returns the ids seen.
    private static async Task<List<int>> StreamAsync(HttpClient client, object body, int? cancelAfter = null)
    {
        using var cts = new CancellationTokenSource();
        var ids = new List<int>();
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(body) };
        using HttpResponseMessage r = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(cts.Token));
        try
        {
            while (await reader.ReadLineAsync(cts.Token) is string line)
            {
                if (!line.StartsWith("data: ") || line == "data: [DONE]") continue;
                foreach (JsonNode? c in JsonNode.Parse(line[6..])!["choices"]!.AsArray())
                    foreach (JsonNode? id in c!["token_ids"]?.AsArray() ?? []) ids.Add((int)id!);
                if (cancelAfter is int n && ids.Count >= n) { cts.Cancel(); break; }
            }
        }
        catch (OperationCanceledException) { }
        return ids;
    }

    [Fact]
    public async Task Sixteen_streams_equal_their_solo_runs_and_cancelled_half_frees_memory()
    {
        await using var h = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", MaxConcurrent = 16 }, loopback: true);
        var solo = new List<int>[16];
        for (int i = 0; i < 16; i++) solo[i] = await StreamAsync(h.Client, Request(i));
        Assert.All(solo, s => Assert.Equal(Tokens, s.Count));
        Assert.True(solo.Select(s => string.Join(",", s)).Distinct().Count() > 8, "prompts should lead to different outputs");

        List<int>[] together = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => StreamAsync(h.Client, Request(i)))));
        for (int i = 0; i < 16; i++) Assert.Equal(solo[i], together[i]);

        // Half ask for 900 tokens and hang up after 4; the others must still match their solo runs exactly.
        long before = h.Engine.Engine.GeneratedTokens;
        List<int>[] mixed = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            i % 2 == 1 ? StreamAsync(h.Client, Request(i, 900), 4) : StreamAsync(h.Client, Request(i)))));
        for (int i = 0; i < 16; i += 2) Assert.Equal(solo[i], mixed[i]);
        for (int i = 1; i < 16; i += 2) Assert.Equal(solo[i].Take(mixed[i].Count), mixed[i]);
        Assert.True(await h.PoolEmptiesAsync(), $"{h.Engine.Pool.LiveSequences} sequences still live");
        Assert.Equal(0, h.Engine.Pool.BytesInUse);
        Assert.Equal(0, h.Engine.InFlight);
        long generated = h.Engine.Engine.GeneratedTokens - before;
        // Cancelled clients asked for 900 tokens each; they must stop well before that.
        Assert.True(generated < 8 * Tokens + 8 * 450, $"cancelled sequences kept decoding ({generated} tokens)");
    }
}
