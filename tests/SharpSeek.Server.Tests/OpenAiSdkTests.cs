// A real server on loopback driven by the official OpenAI .NET SDK (chat, streaming, tool-call
// round trip; reasoning_content read from the raw JSON / SSE) and by curl for SSE framing.
using System.ClientModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using SharpSeek.Extensions.AI.Tests;

#pragma warning disable OPENAI001 // ReasoningEffortLevel is how the SDK sends reasoning_effort (turns thinking on here)

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class OpenAiSdkTests(TestAssets assets)
{
    private static ChatClient Client(ServerHarness h, string key = "k") =>
        new("tiny", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(h.Url + "/v1") });

    [Fact]
    public async Task Chat_and_streaming_through_the_sdk()
    {
        await using var h = await ServerHarness.TinyAsync(assets, new ServerOptions { ModelId = "tiny", ApiKey = "k" }, loopback: true);
        ChatClient client = Client(h);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 10 };
        ChatCompletion done = (await client.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hello there")], options)).Value;
        Assert.Equal(ChatMessageRole.Assistant, done.Role);
        Assert.Equal(10, done.Usage.OutputTokenCount);
        string text = string.Concat(done.Content.Select(c => c.Text));

        var streamed = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate u in client.CompleteChatStreamingAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hello there")], options))
        {
            foreach (ChatMessageContentPart p in u.ContentUpdate) streamed.Append(p.Text);
            finish ??= u.FinishReason;
        }
        Assert.Equal(text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);

        var bad = await Assert.ThrowsAsync<ClientResultException>(() => Client(h, "wrong").CompleteChatAsync([new UserChatMessage("x")]));
        Assert.Equal(401, bad.Status);
    }

    [Fact]
    public async Task Tool_call_round_trip_and_reasoning_content_through_the_sdk()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted(TestAssets.WeatherCall), assets.Tokenizer, new ServerOptions { ModelId = "tiny", PrefixCacheBytes = 0 }, loopback: true);  // no prefix cache: Fed reads freed memory
        ChatClient client = Client(h);
        ChatTool tool = ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
        var options = new ChatCompletionOptions { Tools = { tool }, MaxOutputTokenCount = 200, ReasoningEffortLevel = ChatReasoningEffortLevel.High };
        var history = new List<OpenAI.Chat.ChatMessage> { new UserChatMessage("What is the weather in Paris?") };
        ClientResult<ChatCompletion> result = await client.CompleteChatAsync(history, options);
        ChatCompletion first = result.Value;
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        ChatToolCall call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", (string)JsonNode.Parse(call.FunctionArguments.ToString())!["city"]!);
        // reasoning_content is not in the SDK's typed surface: read the raw response.
        JsonNode raw = JsonNode.Parse(result.GetRawResponse().Content.ToString())!;
        Assert.Equal("Let me check the weather.", (string)raw["choices"]![0]!["message"]!["reasoning_content"]!);

        history.Add(new AssistantChatMessage(first));
        history.Add(new ToolChatMessage(call.Id, "22 degrees, sunny"));
        await client.CompleteChatAsync(history, options);
        Assert.Contains("22 degrees, sunny", assets.Tokenizer.Decode(((ScriptedModel)h.Engine.Model).Fed[^1]));
        Assert.Contains("get_weather", assets.Tokenizer.Decode(((ScriptedModel)h.Engine.Model).Fed[^1]));

        // Streaming through the SDK: tool call updates arrive typed.
        var names = new List<string>();
        await foreach (StreamingChatCompletionUpdate u in client.CompleteChatStreamingAsync([new UserChatMessage("Weather?")], options))
            foreach (StreamingChatToolCallUpdate t in u.ToolCallUpdates) if (t.FunctionName is not null) names.Add(t.FunctionName);
        Assert.Equal(["get_weather"], names);
    }

    [Fact]
    public async Task Curl_sees_sse_framing_with_reasoning_deltas()
    {
        await using var h = await ServerHarness.StartAsync(assets.Scripted(TestAssets.WeatherAnswer), assets.Tokenizer, new ServerOptions { ModelId = "tiny" }, loopback: true);
        string body = "{\"model\":\"tiny\",\"stream\":true,\"reasoning_effort\":\"high\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}";
        var psi = new ProcessStartInfo("curl", ["-sN", "-H", "Content-Type: application/json", "-d", body, h.Url + "/v1/chat/completions"]) { RedirectStandardOutput = true };
        using Process p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        List<string> data = Json.SseData(output);
        Assert.Equal("[DONE]", data[^1]);
        var deltas = data[..^1].Select(d => JsonNode.Parse(d)!["choices"]![0]!["delta"]!).ToList();
        Assert.Equal("It is sunny.", string.Concat(deltas.Select(d => (string?)d["reasoning_content"])));
        Assert.Equal("It is 22 degrees and sunny in Paris.", string.Concat(deltas.Select(d => (string?)d["content"])));
    }
}
