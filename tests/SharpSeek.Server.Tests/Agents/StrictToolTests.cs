// Strict tools on sharpseek-nano: with tool_choice auto the model decides to call, and once it opens
// the call block its arguments follow the tool's schema; a strict tool whose schema leaves the
// subset is a 400 naming the place in tools.
using System.Text.Json.Nodes;

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class StrictToolTests(NanoFixture nano)
{
    private static JsonObject Calculator(JsonObject? extraProperty = null)
    {
        var props = new JsonObject { ["expression"] = new JsonObject { ["type"] = "string" } };
        if (extraProperty is not null) props["x"] = extraProperty;
        return new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject
            {
                ["name"] = "calculator", ["description"] = "Evaluates an arithmetic expression", ["strict"] = true,
                ["parameters"] = new JsonObject { ["type"] = "object", ["properties"] = props, ["required"] = new JsonArray("expression"), ["additionalProperties"] = false },
            },
        };
    }

    [Theory]
    [InlineData("auto", 1)]
    [InlineData("required", 2)]
    public async Task A_strict_call_has_the_schema_shape(string toolChoice, long seed)
    {
        await using ServerHarness h = await nano.ServeAsync();
        var body = new JsonObject
        {
            ["model"] = "default", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Use the calculator to find 123 + 321." }),
            ["tools"] = new JsonArray(Calculator()), ["tool_choice"] = toolChoice, ["seed"] = seed, ["max_tokens"] = 400,
        };
        var (status, resp) = await Json.PostAsync(h.Client, "/v1/chat/completions", body);
        Assert.Equal(200, status);
        Assert.Equal("tool_calls", (string)resp["choices"]![0]!["finish_reason"]!);
        JsonNode call = resp["choices"]![0]!["message"]!["tool_calls"]![0]!;
        Assert.Equal("calculator", (string)call["function"]!["name"]!);
        JsonObject args = JsonNode.Parse((string)call["function"]!["arguments"]!)!.AsObject();
        Assert.Equal(["expression"], args.Select(a => a.Key));
        Assert.Equal("123 + 321", (string)args["expression"]!);
    }

    [Fact]
    public async Task A_strict_schema_outside_the_subset_is_400_naming_the_property()
    {
        await using ServerHarness h = await nano.ServeAsync();
        var body = new JsonObject
        {
            ["model"] = "default", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "x" }),
            ["tools"] = new JsonArray(Calculator(new JsonObject { ["type"] = "integer", ["minimum"] = 0 })),
        };
        var (status, err) = await Json.PostAsync(h.Client, "/v1/chat/completions", body);
        Assert.Equal(400, status);
        Assert.Equal("tools[0].function.parameters.properties.x.minimum", (string)err["error"]!["param"]!);
    }
}
