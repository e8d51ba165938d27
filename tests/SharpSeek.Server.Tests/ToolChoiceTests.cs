// tool_choice: "required" and a named function constrain the answer after the reasoning to the
// DSML call block (the scripted model would otherwise write plain text there), "none" drops the
// tools, and choices the request cannot honour get 400 naming tool_choice.
using System.Text.Json.Nodes;
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Server.Api;
using SharpSeek.Tokenization.Chat;
using static SharpSeek.Server.Tests.Json;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public class ToolChoiceTests(TestAssets assets)
{
    private static readonly object[] Tools =
        [new { type = "function", function = new { name = "get_weather", description = "Weather", parameters = new { type = "object", properties = new { city = new { type = "string" } } } } }];

    private const string Arguments = "<｜DSML｜parameter name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>";

    /// <summary>A model that writes `text` then EOS.</summary>
    private ScriptedModel Script(string text) =>
        new(assets.Tokenizer.Encode(text), assets.Tokenizer.TokenToId(DsmlTokens.Assistant)!.Value, assets.Tokenizer.TokenToId(DsmlTokens.Eos)!.Value, 1024);

    private const string Call = "\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n" + Arguments;

    [Fact]
    public async Task Named_function_is_called_after_the_reasoning_and_a_well_formed_call_passes_the_grammar_unchanged()
    {
        await using var h = await ServerHarness.StartAsync(Script("Let me check.</think>" + Call), assets.Tokenizer);
        var toolChoice = new { type = "function", function = new { name = "get_weather" } };
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 200, extra: new { tools = Tools, tool_choice = toolChoice, thinking = new { type = "enabled" } }));
        Assert.Equal(200, status);
        JsonNode msg = body["choices"]![0]!["message"]!;
        Assert.Equal("Let me check.", (string)msg["reasoning_content"]!);
        Assert.Equal("get_weather", (string)msg["tool_calls"]![0]!["function"]!["name"]!);
        Assert.Equal("Paris", (string)JsonNode.Parse((string)msg["tool_calls"]![0]!["function"]!["arguments"]!)!["city"]!);
        Assert.Equal("tool_calls", (string)body["choices"]![0]!["finish_reason"]!);
        int[] ids = body["choices"]![0]!["token_ids"]!.AsArray().Select(n => (int)n!).ToArray();
        Assert.Equal(assets.Tokenizer.Encode("Let me check.</think>" + Call), ids[..^1]);
    }

    [Fact]
    public async Task Auto_leaves_prose_alone_and_required_turns_prose_into_a_call()
    {
        await using var h = await ServerHarness.StartAsync(Script("It is sunny in Paris."), assets.Tokenizer, new ServerOptions
        {
            ModelId = "tiny", ConstraintLimits = new SharpSeek.Runtime.Constraints.ConstraintLimits { MaxStringLength = 6 },
        });
        var (_, free) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 200, extra: new { tools = Tools }));
        Assert.Null(free["choices"]![0]!["message"]!["tool_calls"]);
        Assert.Equal("It is sunny in Paris.", (string)free["choices"]![0]!["message"]!["content"]!);

        // required in chat mode: from the first token the model can only write a call block
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 300, extra: new { tools = Tools, tool_choice = "required", parallel_tool_calls = false }));
        Assert.True(200 == status, body.ToJsonString());
        Assert.Equal("tool_calls", (string)body["choices"]![0]!["finish_reason"]!);
        JsonNode call = Assert.Single(body["choices"]![0]!["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("get_weather", (string)call["function"]!["name"]!);
        JsonObject args = JsonNode.Parse((string)call["function"]!["arguments"]!)!.AsObject();
        Assert.All(args, a => Assert.Equal("city", a.Key));
        int[] ids = body["choices"]![0]!["token_ids"]!.AsArray().Select(n => (int)n!).ToArray();
        Assert.StartsWith("\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n", assets.Tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData("{\"tool_choice\": \"required\"}", "no tools")]
    [InlineData("{\"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}, \"tools\": TOOLS}", "get_time")]
    [InlineData("{\"tool_choice\": {\"type\": \"function\"}, \"tools\": TOOLS}", "tool_choice must be")]
    [InlineData("{\"tool_choice\": \"always\", \"tools\": TOOLS}", "always")]
    public async Task Choices_that_cannot_be_honoured_are_400(string extraJson, string message)
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted("Hi."), assets.Tokenizer);
        JsonObject body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(ChatBody("Weather?", 5)))!.AsObject();
        foreach (var (k, v) in JsonNode.Parse(extraJson.Replace("TOOLS", System.Text.Json.JsonSerializer.Serialize(Tools)))!.AsObject()) body[k] = v?.DeepClone();
        var (status, err) = await PostAsync(h.Client, "/v1/chat/completions", body);
        Assert.Equal(400, status);
        Assert.Contains(message, (string)err["error"]!["message"]!);
        Assert.Equal("tool_choice", (string)err["error"]!["param"]!);
    }
}
