// response_format through the server on sharpseek-nano: json_schema strict output parses and
// validates, json_object output is an object, in thinking mode the reasoning stays free and the
// content is the document; schemas outside the strict subset are 400 naming the place.
using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

#pragma warning disable OPENAI001, SCME0001 // Seed; Patch sets the DeepSeek thinking field the SDK does not type

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class ResponseFormatTests(NanoFixture nano)
{
    private const string Schema = """
        {"type": "object", "additionalProperties": false, "required": ["answer", "unit", "checked"],
         "properties": {"answer": {"type": "integer"}, "unit": {"type": "string", "enum": ["apples", "pears"]}, "checked": {"type": "boolean"}}}
        """;

    [Fact]
    public async Task Json_schema_strict_through_the_sdk_parses_and_validates_with_thinking_on_and_off()
    {
        await using ServerHarness h = await nano.ServeAsync(loopback: true);
        var client = new ChatClient("default", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(h.Url + "/v1") });
        using JsonDocument schema = JsonDocument.Parse(Schema);
        foreach (bool think in new[] { true, false })
            for (long seed = 1; seed <= 3; seed++)
            {
                var options = new ChatCompletionOptions
                {
                    Seed = seed, MaxOutputTokenCount = 300,
                    ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("count", BinaryData.FromString(Schema), jsonSchemaIsStrict: true),
                };
                if (!think) options.Patch.Set("$.thinking"u8, BinaryData.FromString("""{"type": "disabled"}"""));
                ChatCompletion done = (await client.CompleteChatAsync([new UserChatMessage("What is 45 + 23? Count apples.")], options)).Value;
                string content = string.Concat(done.Content.Select(c => c.Text));
                Assert.Equal(ChatFinishReason.Stop, done.FinishReason);
                using JsonDocument doc = JsonDocument.Parse(content);
                Assert.Null(RandomSchemas.Validate(doc.RootElement, schema.RootElement, schema.RootElement));
            }
    }

    [Fact]
    public async Task Json_object_mode_gives_an_object_and_streams_it()
    {
        // nano never saw JSON: tight bounds keep its free-form object short
        await using ServerHarness h = await nano.ServeAsync(options: new ServerOptions
        {
            ConstraintLimits = new() { MaxStringLength = 12, MaxFreeProperties = 3, MaxArrayItems = 3, MaxDepth = 2 },
        });
        object body = new { model = "default", messages = new[] { new { role = "user", content = "Reply in JSON." } }, response_format = new { type = "json_object" }, seed = 5, max_tokens = 1500, stream = true };
        using HttpResponseMessage r = await h.Client.PostAsync("/v1/chat/completions", Json.Body(body));
        Assert.Equal(200, (int)r.StatusCode);
        var chunks = Json.SseData(await r.Content.ReadAsStringAsync()).Where(d => d != "[DONE]").Select(d => JsonNode.Parse(d)!).ToList();
        string content = string.Concat(chunks.Select(c => (string?)c["choices"]?[0]?["delta"]?["content"] ?? ""));
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(content).RootElement.ValueKind);
        Assert.Equal("stop", (string?)chunks.Last(c => c["choices"]?[0]?["finish_reason"] is not null)["choices"]![0]!["finish_reason"]);
    }

    [Theory]
    [InlineData("""{"type": "string", "pattern": "^a"}""", "response_format.json_schema.schema.pattern")]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}""", "response_format.json_schema.schema.properties.n.minimum")]
    [InlineData("""{"$ref": "#/$defs/nope"}""", "response_format.json_schema.schema.$ref")]
    public async Task Schemas_outside_the_subset_are_400_naming_the_place(string schema, string param)
    {
        await using ServerHarness h = await nano.ServeAsync();
        var body = new JsonObject
        {
            ["model"] = "default", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "x" }),
            ["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = new JsonObject { ["name"] = "x", ["strict"] = true, ["schema"] = JsonNode.Parse(schema) } },
        };
        var (status, err) = await Json.PostAsync(h.Client, "/v1/chat/completions", body);
        Assert.Equal(400, status);
        Assert.Equal(param, (string)err["error"]!["param"]!);
    }

    [Fact]
    public async Task A_json_schema_format_without_its_schema_is_400()
    {
        await using ServerHarness h = await nano.ServeAsync();
        var (status, err) = await Json.PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "x" } }, response_format = new { type = "json_schema" },
        });
        Assert.Equal(400, status);
        Assert.Equal("response_format.json_schema", (string)err["error"]!["param"]!);
    }
}
