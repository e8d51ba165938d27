// POST /v1/responses on sharpseek-nano: text with a reasoning item, the streamed events as OpenAI
// names them, a function-call round trip through previous_response_id (served from the prefix
// cache), the bounded store, GET /v1/responses/{id} and /v1/models/{id}, and 400s naming the field.
using System.Text.Json.Nodes;

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class ResponsesApiTests(NanoFixture nano)
{
    private static readonly JsonObject Calculator = new()
    {
        ["type"] = "function", ["name"] = "calculator", ["description"] = "Evaluates an arithmetic expression", ["strict"] = true,
        ["parameters"] = new JsonObject
        {
            ["type"] = "object", ["properties"] = new JsonObject { ["expression"] = new JsonObject { ["type"] = "string" } },
            ["required"] = new JsonArray("expression"), ["additionalProperties"] = false,
        },
    };

    [Fact]
    public async Task Text_answer_with_a_reasoning_item()
    {
        await using ServerHarness h = await nano.ServeAsync();
        var (status, r) = await Json.PostAsync(h.Client, "/v1/responses", new { model = "default", input = "What is 45 + 23?", seed = 1 });
        Assert.Equal(200, status);
        Assert.Equal("response", (string)r["object"]!);
        Assert.Equal("completed", (string)r["status"]!);
        JsonArray output = r["output"]!.AsArray();
        Assert.Equal(["reasoning", "message"], output.Select(o => (string)o!["type"]!));
        Assert.Contains("ones", (string)output[0]!["content"]![0]!["text"]!);
        Assert.Equal("68", ((string)output[1]!["content"]![0]!["text"]!).Trim());
        Assert.Equal("68", ((string)r["output_text"]!).Trim());
        Assert.True((int)r["usage"]!["output_tokens_details"]!["reasoning_tokens"]! > 0);

        using HttpResponseMessage get = await h.Client.GetAsync($"/v1/responses/{(string)r["id"]!}");
        Assert.Equal(200, (int)get.StatusCode);
        using HttpResponseMessage missing = await h.Client.GetAsync("/v1/responses/resp_nope");
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task Streaming_sends_the_openai_events_in_order()
    {
        await using ServerHarness h = await nano.ServeAsync();
        using HttpResponseMessage resp = await h.Client.PostAsync("/v1/responses", Json.Body(new { model = "default", input = "What is 45 + 23?", seed = 2, stream = true }));
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType!.MediaType);
        string body = await resp.Content.ReadAsStringAsync();
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            string[] lines = e.Split('\n');
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            JsonNode data = JsonNode.Parse(lines[1]["data: ".Length..])!;
            Assert.Equal(lines[0]["event: ".Length..], (string)data["type"]!);
            return data;
        }).ToList();
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e["sequence_number"]!));
        string[] types = events.Select(e => (string)e["type"]!).ToArray();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added"], types[..3]);
        Assert.Equal("response.completed", types[^1]);
        foreach (string t in new[] { "response.reasoning_text.delta", "response.reasoning_text.done", "response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done" })
            Assert.Contains(t, types);
        string text = string.Concat(events.Where(e => (string)e["type"]! == "response.output_text.delta").Select(e => (string)e["delta"]!));
        Assert.Equal("68", text.Trim());
        Assert.Equal(text, (string)events[^1]["response"]!["output_text"]!);
    }

    [Fact]
    public async Task Function_call_round_trip_through_previous_response_id_uses_the_prefix_cache()
    {
        await using ServerHarness h = await nano.ServeAsync();
        var (s1, first) = await Json.PostAsync(h.Client, "/v1/responses", new JsonObject
        {
            ["model"] = "default", ["input"] = "Use the calculator to find 123 + 321.", ["tools"] = new JsonArray(Calculator.DeepClone()), ["seed"] = 3,
        });
        Assert.Equal(200, s1);
        JsonNode call = first["output"]!.AsArray().Single(o => (string)o!["type"]! == "function_call")!;
        Assert.Equal("calculator", (string)call["name"]!);
        Assert.Equal("123 + 321", (string)JsonNode.Parse((string)call["arguments"]!)!["expression"]!);

        var (s2, second) = await Json.PostAsync(h.Client, "/v1/responses", new JsonObject
        {
            ["model"] = "default", ["previous_response_id"] = (string)first["id"]!, ["tools"] = new JsonArray(Calculator.DeepClone()), ["seed"] = 3,
            ["input"] = new JsonArray(new JsonObject { ["type"] = "function_call_output", ["call_id"] = (string)call["call_id"]!, ["output"] = "444" }),
        });
        Assert.Equal(200, s2);
        Assert.Contains("444", (string)second["output_text"]!);
        Assert.Equal((string)first["id"]!, (string)second["previous_response_id"]!);
        Assert.True((int)second["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0, second["usage"]!.ToJsonString());
    }

    [Fact]
    public async Task The_store_is_bounded_and_store_false_keeps_nothing()
    {
        await using ServerHarness h = await nano.ServeAsync(options: new ServerOptions { StoredResponses = 2 });
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var (_, r) = await Json.PostAsync(h.Client, "/v1/responses", new { model = "default", input = "Hi", max_output_tokens = 4, reasoning = new { effort = "none" } });
            ids.Add((string)r["id"]!);
        }
        var (gone, err) = await Json.PostAsync(h.Client, "/v1/responses", new { model = "default", input = "Hi", max_output_tokens = 4, previous_response_id = ids[0] });
        Assert.Equal(400, gone);
        Assert.Equal("previous_response_id", (string)err["error"]!["param"]!);
        var (kept, _) = await Json.PostAsync(h.Client, "/v1/responses", new { model = "default", input = "Hi", max_output_tokens = 4, previous_response_id = ids[2] });
        Assert.Equal(200, kept);
        Assert.Equal(2, h.Engine.Responses.Count);

        var (_, unstored) = await Json.PostAsync(h.Client, "/v1/responses", new { model = "default", input = "Hi", max_output_tokens = 4, store = false });
        var (status, _) = await Json.PostAsync(h.Client, "/v1/responses", new { model = "default", input = "Hi", max_output_tokens = 4, previous_response_id = (string)unstored["id"]! });
        Assert.Equal(400, status);
    }

    [Theory]
    [InlineData("""{"model": "default"}""", "input")]
    [InlineData("""{"model": "default", "input": 5}""", "input")]
    [InlineData("""{"model": "default", "input": [{"type": "image", "url": "x"}]}""", "input[0].type")]
    [InlineData("""{"model": "default", "input": [{"role": "robot", "content": "x"}]}""", "input[0].role")]
    [InlineData("""{"model": "default", "input": [{"type": "function_call_output", "output": "1"}]}""", "input[0].call_id")]
    [InlineData("""{"model": "default", "input": "x", "max_output_tokens": 0}""", "max_output_tokens")]
    [InlineData("""{"model": "default", "input": "x", "tools": [{"type": "web_search"}]}""", "tools[0].type")]
    [InlineData("""{"model": "default", "input": "x", "text": {"format": {"type": "json_schema"}}}""", "text.format.schema")]
    [InlineData("""{"model": "default", "input": "x", "text": {"format": {"type": "xml"}}}""", "text.format")]
    [InlineData("""{"model": "default", "input": "x", "reasoning": {"effort": "huge"}}""", "reasoning.effort")]
    [InlineData("""{"model": "default", "input": "x", "temperature": 9}""", "temperature")]
    [InlineData("""{"input": "x"}""", "model")]
    [InlineData("""{"model": "default", "input": "x", "background": true}""", "background")]
    [InlineData("""{"model": "default", "input": "x", "conversation": "conv_1"}""", "conversation")]
    [InlineData("""{"model": "default", "input": "x", "include": ["reasoning.encrypted_content"]}""", "include")]
    [InlineData("""{"model": "default", "input": "x", "truncation": "sometimes"}""", "truncation")]
    public async Task Bad_requests_are_400_naming_the_field(string json, string param)
    {
        await using ServerHarness h = await nano.ServeAsync();
        var (status, err) = await Json.PostAsync(h.Client, "/v1/responses", JsonNode.Parse(json)!);
        Assert.Equal(400, status);
        Assert.Equal(param, (string)err["error"]!["param"]!);
    }

    [Fact]
    public async Task Models_by_id()
    {
        await using ServerHarness h = await nano.ServeAsync();
        using HttpResponseMessage ok = await h.Client.GetAsync("/v1/models/default");
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal("default", (string)JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["id"]!);
        using HttpResponseMessage other = await h.Client.GetAsync("/v1/models/gpt-4o");
        Assert.Equal(404, (int)other.StatusCode);
    }
}
