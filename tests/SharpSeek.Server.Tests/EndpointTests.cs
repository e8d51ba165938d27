// In-memory host (TestServer): every endpoint's shape and every error status in the OpenAI form.
using System.Net;
using System.Text.Json.Nodes;
using SharpSeek.Extensions.AI.Tests;
using static SharpSeek.Server.Tests.Json;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class EndpointTests(TestAssets assets)
{
    [Fact]
    public async Task Models_health_metrics()
    {
        await using var h = await ServerHarness.TinyAsync(assets);
        JsonNode models = JsonNode.Parse(await h.Client.GetStringAsync("/v1/models"))!;
        Assert.Equal("list", (string)models["object"]!);
        Assert.Equal("tiny", (string)models["data"]![0]!["id"]!);
        Assert.Equal("ok", (string)JsonNode.Parse(await h.Client.GetStringAsync("/health"))!["status"]!);
        await PostAsync(h.Client, "/v1/chat/completions", ChatBody("hi", 3));
        string metrics = await h.Client.GetStringAsync("/metrics");
        foreach (string name in new[] { "sharpseek_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 1", "sharpseek_prompt_tokens_total", "sharpseek_completion_tokens_total 3",
                     "sharpseek_queue_length 0", "sharpseek_time_to_first_token_seconds_count 1", "sharpseek_tokens_per_second", "sharpseek_memory_pool_sequences 0" })
            Assert.Contains(name, metrics);
    }

    [Fact]
    public async Task Chat_completion_shape_usage_n_and_logprobs()
    {
        await using var h = await ServerHarness.TinyAsync(assets);
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Hello", 5, extra: new { n = 2, logprobs = true, top_logprobs = 3, temperature = 1.0, seed = 5 }));
        Assert.Equal(200, status);
        Assert.Equal("chat.completion", (string)body["object"]!);
        JsonArray choices = body["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        foreach (JsonNode? c in choices)
        {
            Assert.Equal("assistant", (string)c!["message"]!["role"]!);
            Assert.Equal(5, c["token_ids"]!.AsArray().Count);
            Assert.Equal("length", (string)c["finish_reason"]!);
            JsonArray lp = c["logprobs"]!["content"]!.AsArray();
            Assert.Equal(5, lp.Count);
            Assert.Equal(3, lp[0]!["top_logprobs"]!.AsArray().Count);
            Assert.True((double)lp[0]!["logprob"]! <= 0);
        }
        Assert.Equal(10, (int)body["usage"]!["completion_tokens"]!);
        Assert.True((int)body["usage"]!["prompt_tokens"]! > 3);
    }

    [Fact]
    public async Task Completions_with_text_and_token_ids()
    {
        await using var h = await ServerHarness.TinyAsync(assets);
        var (s1, text) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = "The weather", max_tokens = 4, temperature = 0, return_token_ids = true });
        Assert.Equal(200, s1);
        Assert.Equal("text_completion", (string)text["object"]!);
        int[] ids = assets.Tokenizer.Encode("The weather");
        var (s2, byIds) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = ids, max_tokens = 4, temperature = 0, return_token_ids = true });
        Assert.Equal(200, s2);
        Assert.Equal(text["choices"]![0]!["token_ids"]!.ToJsonString(), byIds["choices"]![0]!["token_ids"]!.ToJsonString());
        Assert.Equal((string)text["choices"]![0]!["text"]!, (string)byIds["choices"]![0]!["text"]!);

        using var r = await h.Client.PostAsync("/v1/completions", Body(new { model = "tiny", prompt = ids, max_tokens = 3, stream = true, stream_options = new { include_usage = true } }));
        List<string> data = SseData(await r.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", data[^1]);
        Assert.Equal(3, (int)JsonNode.Parse(data[^2])!["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task Chat_stream_framing_role_finish_usage_done()
    {
        await using var h = await ServerHarness.TinyAsync(assets);
        using var r = await h.Client.PostAsync("/v1/chat/completions", Body(ChatBody("Hello", 6, stream: true, extra: new { stream_options = new { include_usage = true } })));
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType!.MediaType);
        List<string> data = SseData(await r.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", data[^1]);
        var chunks = data[..^1].Select(d => JsonNode.Parse(d)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        Assert.Equal("length", (string)chunks[^2]["choices"]![0]!["finish_reason"]!);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(6, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        int ids = chunks.Sum(c => c["choices"]!.AsArray().Sum(x => x!["token_ids"]?.AsArray().Count ?? 0));
        Assert.Equal(6, ids);
    }

    [Fact]
    public async Task Stop_string_ends_the_choice()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("Hello world. Goodbye world."), assets.Tokenizer, new ServerOptions { ModelId = "tiny" });
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("hi", 50, extra: new { stop = new[] { "Goodbye" } }));
        Assert.Equal(200, status);
        Assert.Equal("Hello world. ", (string)body["choices"]![0]!["message"]!["content"]!);
        Assert.Equal("stop", (string)body["choices"]![0]!["finish_reason"]!);
        Assert.True(await h.PoolEmptiesAsync());
    }

    [Fact]
    public async Task Errors_have_openai_shape_and_status()
    {
        await using var h = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", MaxBodyBytes = 4096, MaxConcurrent = 1 });
        async Task Expect(HttpResponseMessage r, HttpStatusCode status, string? code = null, string? param = null)
        {
            Assert.Equal(status, r.StatusCode);
            JsonNode e = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!;
            Assert.False(string.IsNullOrEmpty((string?)e["message"]));
            Assert.NotNull((string?)e["type"]);
            Assert.True(e.AsObject().ContainsKey("param") && e.AsObject().ContainsKey("code"));
            if (code is not null) Assert.Equal(code, (string?)e["code"]);
            if (param is not null) Assert.Equal(param, (string?)e["param"]);
        }
        await Expect(await h.Client.PostAsync("/v1/chat/completions", new StringContent("{\"model\": ", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await Expect(await h.Client.PostAsync("/v1/chat/completions", Body(new { model = "gpt-9", messages = new[] { new { role = "user", content = "x" } } })), HttpStatusCode.NotFound, "model_not_found");
        await Expect(await h.Client.PostAsync("/v1/chat/completions", Body(new { model = "tiny", messages = "nope" })), HttpStatusCode.BadRequest, null, "messages");
        await Expect(await h.Client.PostAsync("/v1/chat/completions", Body(ChatBody("x", extra: new { temperature = 5 }))), HttpStatusCode.BadRequest, null, "temperature");
        string big = string.Concat(Enumerable.Repeat("word ", 3000));
        await Expect(await h.Client.PostAsync("/v1/chat/completions", Body(ChatBody(big))), HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        // Context: 512 positions; a long prompt (under the body limit) or prompt + max_tokens over it.
        var (status, ctx) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = Enumerable.Repeat(5, 600).ToArray(), max_tokens = 1 });
        Assert.Equal(400, status);
        Assert.Equal("context_length_exceeded", (string?)ctx["error"]!["code"]);
        Assert.Contains("512", (string)ctx["error"]!["message"]!);
        (status, ctx) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = new[] { 5, 6 }, max_tokens = 600 });
        Assert.Equal(400, status);
        Assert.Contains("602", (string)ctx["error"]!["message"]!);
        // 429: one slot, held by a streaming request.
        using var first = await h.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(ChatBody("count", 200, stream: true)) }, HttpCompletionOption.ResponseHeadersRead);
        await Expect(await h.Client.PostAsync("/v1/chat/completions", Body(ChatBody("x", 2))), HttpStatusCode.TooManyRequests, "rate_limit_exceeded");
        first.Dispose();
    }

    [Fact]
    public async Task Api_key_is_required_on_v1()
    {
        await using var h = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", ApiKey = "sekrit" });
        using var missing = await h.Client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("invalid_api_key", (string?)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["error"]!["code"]);
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        wrong.Headers.Authorization = new("Bearer", "nope");
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Client.SendAsync(wrong)).StatusCode);
        var right = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        right.Headers.Authorization = new("Bearer", "sekrit");
        Assert.Equal(HttpStatusCode.OK, (await h.Client.SendAsync(right)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Tool_calls_and_reasoning_from_scripted_dsml()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted(TestAssets.WeatherCall), assets.Tokenizer, new ServerOptions { ModelId = "tiny" });
        var tools = new[] { new { type = "function", function = new { name = "get_weather", description = "Weather", parameters = new { type = "object", properties = new { city = new { type = "string" } } } } } };
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 200, extra: new { tools, thinking = new { type = "enabled" } }));
        Assert.Equal(200, status);
        JsonNode msg = body["choices"]![0]!["message"]!;
        Assert.Equal("Let me check the weather.", (string)msg["reasoning_content"]!);
        JsonNode call = msg["tool_calls"]![0]!;
        Assert.Equal("function", (string)call["type"]!);
        Assert.Equal("get_weather", (string)call["function"]!["name"]!);
        Assert.Equal("Paris", (string)JsonNode.Parse((string)call["function"]!["arguments"]!)!["city"]!);
        Assert.Equal("tool_calls", (string)body["choices"]![0]!["finish_reason"]!);

        using var r = await h.Client.PostAsync("/v1/chat/completions", Body(ChatBody("Weather in Paris?", 200, stream: true, extra: new { tools, thinking = new { type = "enabled" } })));
        var chunks = SseData(await r.Content.ReadAsStringAsync())[..^1].Select(d => JsonNode.Parse(d)!["choices"]![0]!).ToList();
        Assert.Equal("Let me check the weather.", string.Concat(chunks.Select(c => (string?)c["delta"]!["reasoning_content"])));
        Assert.Equal("get_weather", (string)chunks.Single(c => c["delta"]!["tool_calls"] is not null)["delta"]!["tool_calls"]![0]!["function"]!["name"]!);
        Assert.Equal("tool_calls", (string)chunks[^1]["finish_reason"]!);
    }

    [Fact]
    public async Task No_tokenizer_means_token_ids_only()
    {
        await using var h = await ServerHarness.StartAsync(assets.Tiny, null, new ServerOptions { ModelId = "tiny" });
        var (status, _) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("hi"));
        Assert.Equal(400, status);
        var (ok, body) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = new[] { 0, 5, 9 }, max_tokens = 3, return_token_ids = true });
        Assert.Equal(200, ok);
        Assert.Equal(3, body["choices"]![0]!["token_ids"]!.AsArray().Count);
    }
}
