// What the one engine brings to the server: speculative decoding (--speculative) gives the greedy
// tokens of plain decoding for concurrent clients, and prefix reuse shows in usage.cached_tokens
// and /metrics while the answers stay those of a server without a cache.
using System.Text.Json.Nodes;
using SharpSeek.Extensions.AI.Tests;
using static SharpSeek.Server.Tests.Json;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class EngineFeatureTests(TestAssets assets)
{
    private static async Task<List<int>> CompleteAsync(HttpClient c, object body)
    {
        var (status, json) = await PostAsync(c, "/v1/chat/completions", body);
        Assert.Equal(200, status);
        return json["choices"]![0]!["token_ids"]!.AsArray().Select(t => (int)t!).ToList();
    }

    [Fact]
    public async Task Speculative_server_gives_the_plain_greedy_tokens_to_concurrent_clients()
    {
        object Body(int i) => ChatBody($"Client {i} asks about the weather number {i * 7}.", 20);
        await using var plain = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", PrefixCacheBytes = 0 });
        await using var spec = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", Speculative = true, PrefixCacheBytes = 0 });
        var expected = new List<int>[8];
        for (int i = 0; i < 8; i++) expected[i] = await CompleteAsync(plain.Client, Body(i));
        List<int>[] got = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => CompleteAsync(spec.Client, Body(i)))));
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], got[i]);
        Assert.True(await spec.PoolEmptiesAsync());
    }

    [Fact]
    public async Task Shared_system_prompt_and_next_turns_are_served_from_the_prefix_cache()
    {
        string system = string.Concat(Enumerable.Repeat("You are a careful weather assistant. Answer briefly. ", 6));
        object Body(string user, object[]? history = null) => new Dictionary<string, object?>
        {
            ["model"] = "tiny", ["max_tokens"] = 6, ["temperature"] = 0, ["return_token_ids"] = true,
            ["messages"] = new object[] { new { role = "system", content = system } }.Concat(history ?? []).Append(new { role = "user", content = user }).ToArray(),
        };
        await using var warm = await ServerHarness.TinyAsync(assets);
        await using var cold = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", PrefixCacheBytes = 0 });
        var (_, first) = await PostAsync(warm.Client, "/v1/chat/completions", Body("Weather in Paris?"));
        Assert.Equal(0, (int)first["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        var (_, second) = await PostAsync(warm.Client, "/v1/chat/completions", Body("Weather in Rome?"));
        int cached = (int)second["usage"]!["prompt_tokens_details"]!["cached_tokens"]!;
        Assert.True(cached > 30 && cached < (int)second["usage"]!["prompt_tokens"]!, $"cached {cached}");
        var (_, coldSecond) = await PostAsync(cold.Client, "/v1/chat/completions", Body("Weather in Rome?"));
        Assert.Equal(coldSecond["choices"]![0]!["token_ids"]!.ToJsonString(), second["choices"]![0]!["token_ids"]!.ToJsonString());

        string metrics = await warm.Client.GetStringAsync("/metrics");
        long Metric(string name) => long.Parse(metrics.Split('\n').Single(l => l.StartsWith(name + " ")).Split(' ')[1]);
        Assert.Equal(cached, Metric("sharpseek_prompt_tokens_cached_total"));
        Assert.True(Metric("sharpseek_prompt_tokens_computed_total") > 0);
        Assert.True(Metric("sharpseek_prefix_cache_entries") > 0);
        Assert.True(warm.Engine.Pool.IsEmpty);
    }
}
