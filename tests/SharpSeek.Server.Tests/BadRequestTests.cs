// Hostile request bodies: every wrong type, range, unknown value and Unicode defect is a 4xx in the
// OpenAI error shape naming the field; none reaches a 500. The inputs of issue 25 are pinned here.
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Server.Api;
using static SharpSeek.Server.Tests.Json;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class BadRequestTests(TestAssets assets)
{
    private const string User = "{\"role\":\"user\",\"content\":\"hi\"}";

    public static async Task<JsonNode> ExpectErrorAsync(HttpResponseMessage r, int status, string? param)
    {
        string text = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"{(int)r.StatusCode}: {text}");
        JsonNode e = JsonNode.Parse(text)!["error"]!;
        Assert.False(string.IsNullOrEmpty((string?)e["message"]));
        Assert.Equal("invalid_request_error", (string?)e["type"]);
        Assert.True(e.AsObject().ContainsKey("param") && e.AsObject().ContainsKey("code"));
        if (param is not null) Assert.Equal(param, (string?)e["param"]);
        return e;
    }

    private static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("\"presence_penalty\": 1e300", "presence_penalty")]
    [InlineData("\"frequency_penalty\": -1e300", "frequency_penalty")]
    [InlineData("\"presence_penalty\": 1e400", "presence_penalty")]
    [InlineData("\"temperature\": 1e-45", "temperature")]
    [InlineData("\"temperature\": -0.5", "temperature")]
    [InlineData("\"min_p\": \"high\"", "min_p")]
    [InlineData("\"min_p\": 1.5", "min_p")]
    [InlineData("\"min_p\": -0.1", "min_p")]
    [InlineData("\"repetition_penalty\": -1", "repetition_penalty")]
    [InlineData("\"repetition_penalty\": 0", "repetition_penalty")]
    [InlineData("\"repetition_penalty\": 1e-45", "repetition_penalty")]   // found by the HTTP fuzz (case 13930): was a 500
    [InlineData("\"repetition_penalty\": true", "repetition_penalty")]
    [InlineData("\"repetition_penalty\": [1]", "repetition_penalty")]
    [InlineData("\"logprobs\": true, \"top_logprobs\": -1", "top_logprobs")]
    [InlineData("\"logprobs\": true, \"top_logprobs\": 21", "top_logprobs")]
    [InlineData("\"logit_bias\": {\"x\": 1}", "logit_bias")]
    [InlineData("\"logit_bias\": {\"5\": 1000}", "logit_bias")]
    [InlineData("\"logit_bias\": {\"-5\": 1}", "logit_bias")]
    [InlineData("\"logit_bias\": [1]", "logit_bias")]
    [InlineData("\"logit_bias\": {\"99999999\": 1}", null)]
    [InlineData("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"\"}}]", "tools[0].function.name")]
    [InlineData("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"a b\"}}]", "tools[0].function.name")]
    [InlineData("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": 3}}]", "tools")]
    [InlineData("\"response_format\": \"json\"", "response_format")]
    [InlineData("\"response_format\": {\"type\": \"yaml\"}", "response_format")]
    [InlineData("\"top_k\": -5", "top_k")]
    [InlineData("\"top_p\": 0", "top_p")]
    [InlineData("\"stream_options\": 3", "stream_options")]
    [InlineData("\"seed\": 1.5", "seed")]
    [InlineData("\"n\": 1e400", "n")]
    [InlineData("\"functions\": [{\"name\": \"f\"}]", "functions")]
    [InlineData("\"function_call\": \"auto\"", "function_call")]
    [InlineData("\"audio\": {\"voice\": \"alloy\"}", "audio")]
    [InlineData("\"modalities\": [\"text\", \"audio\"]", "modalities")]
    [InlineData("\"parallel_tool_calls\": \"yes\"", "parallel_tool_calls")]
    [InlineData("\"user\": 5", "user")]
    public async Task HostileFieldIs400NamingIt(string field, string? param)
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        using var r = await h.Client.PostAsync("/v1/chat/completions", Raw($"{{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{User}],{field}}}"));
        await ExpectErrorAsync(r, 400, param);
    }

    [Theory]
    [InlineData("[{\"role\":\"user\",\"content\":\"\\ud83d\"}]", "messages[0].content")]
    [InlineData("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\\udc00b\"}]}]", "messages[0].content[0].text")]
    [InlineData("[{\"role\":\"user\"}]", "messages[0].content")]
    [InlineData("[{\"role\":\"system\",\"content\":null},{\"role\":\"user\",\"content\":\"x\"}]", "messages[0].content")]
    [InlineData("[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\"}]", "messages[1].content")]
    [InlineData("[{\"role\":\"tool\",\"tool_call_id\":\"c1\"}]", "messages[0].content")]
    [InlineData("[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"\",\"arguments\":\"{}\"}}]}]", null)]
    public async Task BadMessagesAre400(string messages, string? param)
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        using var r = await h.Client.PostAsync("/v1/chat/completions", Raw($"{{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":{messages}}}"));
        await ExpectErrorAsync(r, 400, param);
    }

    [Fact]
    public async Task LoneSurrogateInAKeyOrTheCompletionPromptIs400()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        using var r1 = await h.Client.PostAsync("/v1/completions", Raw("{\"model\":\"tiny\",\"prompt\":\"a\\ud800\",\"max_tokens\":2}"));
        await ExpectErrorAsync(r1, 400, "prompt");
        using var r2 = await h.Client.PostAsync("/v1/chat/completions", Raw($"{{\"model\":\"tiny\",\"messages\":[{User}],\"\\udfff\":1}}"));
        await ExpectErrorAsync(r2, 400, null);
    }

    [Fact]
    public async Task InvalidUtf8InsideAStringIs400()   // found by the soak (corrupted bodies): was a 500
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        byte[] body = Encoding.UTF8.GetBytes($"{{\"model\":\"tiny\",\"messages\":[{{\"role\":\"user\",\"content\":\"a__b\"}}]}}");
        int at = Array.IndexOf(body, (byte)'_');
        body[at] = 0xFF; body[at + 1] = 0xC3;
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var r = await h.Client.PostAsync("/v1/chat/completions", content);
        await ExpectErrorAsync(r, 400, "messages[0].content");
    }

    [Theory]
    [InlineData("\"suffix\": \"tail\"", "suffix")]
    [InlineData("\"best_of\": 3", "best_of")]
    public async Task UnsupportedCompletionFieldsAreRefusedByName(string field, string param)
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        using var r = await h.Client.PostAsync("/v1/completions", Raw($"{{\"model\":\"tiny\",\"prompt\":\"hi\",\"max_tokens\":2,{field}}}"));
        await ExpectErrorAsync(r, 400, param);
    }

    [Fact]
    public async Task AssistantWithToolCallsNeedsNoContent()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        var (status, _) = await PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "tiny", max_tokens = 2,
            messages = new object[]
            {
                new { role = "user", content = "weather?" },
                new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "c1", type = "function", function = new { name = "get_weather", arguments = "{}" } } } },
                new { role = "tool", tool_call_id = "c1", content = "sunny" },
            },
        });
        Assert.Equal(200, status);
    }

    [Fact]
    public void MinPRepetitionPenaltyAndLogitBiasReachTheSampler()
    {
        using var doc = JsonDocument.Parse("{\"model\":\"tiny\",\"min_p\":0.1,\"repetition_penalty\":1.3,\"logit_bias\":{\"7\":-100,\"9\":2.5},\"top_k\":-1}");
        CommonParams p = RequestFields.Common(doc.RootElement, chat: true);
        Assert.Equal(0.1, p.Sampling.MinP);
        Assert.Equal(1.3f, p.Sampling.RepetitionPenalty);
        Assert.Equal(-100f, p.Sampling.LogitBias![7]);
        Assert.Equal(2.5f, p.Sampling.LogitBias[9]);
        Assert.Equal(0, p.Sampling.TopK);
    }

    [Fact]
    public async Task LogitBiasBansAToken()
    {
        await using var h = await ServerHarness.TinyAsync(assets);
        var (s1, a) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = new[] { 5, 6, 7 }, max_tokens = 1, temperature = 0, return_token_ids = true });
        Assert.Equal(200, s1);
        int first = (int)a["choices"]![0]!["token_ids"]![0]!;
        var bias = new Dictionary<string, int> { [first.ToString()] = -100 };
        var (s2, b) = await PostAsync(h.Client, "/v1/completions", new { model = "tiny", prompt = new[] { 5, 6, 7 }, max_tokens = 1, temperature = 0, return_token_ids = true, logit_bias = bias });
        Assert.Equal(200, s2);
        Assert.NotEqual(first, (int)b["choices"]![0]!["token_ids"]![0]!);
    }

    [Fact]
    public async Task HeadHealthAnswersLikeGet()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("ok"), assets.Tokenizer);
        using var head = await h.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/health"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType);
        using var get = await h.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }
}
