// tool_choice: "required" and a named function force the opening of the DSML block after the
// reasoning (the scripted model would otherwise write plain text there), "none" drops the tools,
// and choices the request cannot honour get 400 naming tool_choice.
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

    /// <summary>A model that writes `reasoning`, then plain "It" filler where the forced ids go, then the call's arguments.</summary>
    private ScriptedModel Script(string reasoning, int forced)
    {
        var ids = new List<int>(assets.Tokenizer.Encode(reasoning));
        int filler = assets.Tokenizer.Encode("It")[0];
        for (int i = 0; i < forced; i++) ids.Add(filler);
        ids.AddRange(assets.Tokenizer.Encode(Arguments));
        return new ScriptedModel(ids, assets.Tokenizer.TokenToId(DsmlTokens.Assistant)!.Value, assets.Tokenizer.TokenToId(DsmlTokens.Eos)!.Value, 1024);
    }

    private int ForcedCount(ToolChoice choice, ThinkingMode mode) =>
        ToolChoiceForcing.For(new ChatRequest(null!, [], null, null, mode, ReasoningEffort.Default, choice), assets.Tokenizer)!.Ids.Count;

    [Fact]
    public async Task Named_function_is_called_after_the_reasoning()
    {
        int forced = ForcedCount(new ToolChoice(ToolChoiceMode.Function, "get_weather"), ThinkingMode.Thinking);
        await using var h = await ServerHarness.StartAsync(Script("Let me check.</think>", forced), assets.Tokenizer);
        var toolChoice = new { type = "function", function = new { name = "get_weather" } };
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 200, extra: new { tools = Tools, tool_choice = toolChoice, thinking = new { type = "enabled" } }));
        Assert.Equal(200, status);
        JsonNode msg = body["choices"]![0]!["message"]!;
        Assert.Equal("Let me check.", (string)msg["reasoning_content"]!);
        Assert.Equal("get_weather", (string)msg["tool_calls"]![0]!["function"]!["name"]!);
        Assert.Equal("Paris", (string)JsonNode.Parse((string)msg["tool_calls"]![0]!["function"]!["arguments"]!)!["city"]!);
        Assert.Equal("tool_calls", (string)body["choices"]![0]!["finish_reason"]!);

        // auto: the same model writes its filler as plain text and calls nothing
        var (_, free) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 200, extra: new { tools = Tools, thinking = new { type = "enabled" } }));
        Assert.Null(free["choices"]![0]!["message"]!["tool_calls"]);
    }

    [Fact]
    public async Task Required_in_chat_mode_forces_from_the_first_token()
    {
        // required leaves the name to the model: the script writes it, then the arguments
        int forced = ForcedCount(new ToolChoice(ToolChoiceMode.Required), ThinkingMode.Chat);
        await using var h = await ServerHarness.StartAsync(Script("", forced), assets.Tokenizer);
        var (status, body) = await PostAsync(h.Client, "/v1/chat/completions", ChatBody("Weather in Paris?", 200, extra: new { tools = Tools, tool_choice = "required" }));
        Assert.Equal(200, status);
        int[] got = body["choices"]![0]!["token_ids"]!.AsArray().Select(n => (int)n!).ToArray();
        int[] want = ToolChoiceForcing.For(new ChatRequest(null!, [], null, null, ThinkingMode.Chat, ReasoningEffort.Default, new ToolChoice(ToolChoiceMode.Required)), assets.Tokenizer)!.Ids.ToArray();
        Assert.Equal(want, got[..want.Length]);
        Assert.StartsWith("\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"", assets.Tokenizer.Decode(got));
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
