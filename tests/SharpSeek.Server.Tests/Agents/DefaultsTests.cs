// Defaults that work: the embedded model's generation_config.json turns thinking on, so a plain
// OpenAI request (no thinking field, no temperature) gets the trained answer; a reasoning marker the
// model writes in the wrong mode never reaches content, streamed or not.
using System.ClientModel;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Runtime.Models;

#pragma warning disable OPENAI001 // Seed

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class DefaultsTests(NanoFixture nano)
{
    [Fact]
    public void The_embedded_model_ships_with_thinking_on_and_its_sampling()
    {
        GenerationDefaults d = nano.Directory.Defaults;
        Assert.True(d.Thinking);
        Assert.Equal(0.6f, d.Temperature);
        Assert.Equal(0.95, d.TopP);
    }

    [Fact]
    public async Task A_plain_sdk_request_answers_45_plus_23_with_68()
    {
        await using ServerHarness h = await nano.ServeAsync(loopback: true);
        var client = new ChatClient("default", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(h.Url + "/v1") });
        for (long seed = 1; seed <= 3; seed++)
        {
            ChatCompletion done = (await client.CompleteChatAsync([new UserChatMessage("What is 45 + 23?")], new ChatCompletionOptions { Seed = seed })).Value;
            Assert.Equal("68", string.Concat(done.Content.Select(c => c.Text)).Trim());
            Assert.Equal(ChatFinishReason.Stop, done.FinishReason);
        }
    }

    [Fact]
    public async Task A_request_can_still_turn_thinking_off()
    {
        await using ServerHarness h = await nano.ServeAsync();
        var (status, body) = await Json.PostAsync(h.Client, "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "What is 45 + 23?" } },
            thinking = new { type = "disabled" }, max_tokens = 60, seed = 1,
        });
        Assert.Equal(200, status);
        string content = (string?)body["choices"]![0]!["message"]!["content"] ?? "";
        Assert.DoesNotContain("</think>", content);
        Assert.DoesNotContain("<think>", content);
    }

    [Collection("assets")]
    public sealed class Markers(TestAssets assets)
    {
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_think_marker_generated_in_chat_mode_never_reaches_content(bool stream)
        {
            await using ServerHarness h = await ServerHarness.StartAsync(assets.Scripted("Add by place.</think>It is 68."), assets.Tokenizer,
                new ServerOptions { ModelId = "tiny", PrefixCacheBytes = 0 });
            object body = Json.ChatBody("What is 45 + 23?", maxTokens: 60, stream: stream, extra: new { thinking = new { type = "disabled" } });
            using HttpResponseMessage r = await h.Client.PostAsync("/v1/chat/completions", Json.Body(body));
            string text = await r.Content.ReadAsStringAsync();
            Assert.Equal(200, (int)r.StatusCode);
            string content = stream
                ? string.Concat(Json.SseData(text).Where(d => d != "[DONE]").Select(d => (string?)JsonNode.Parse(d)!["choices"]?[0]?["delta"]?["content"] ?? ""))
                : (string)JsonNode.Parse(text)!["choices"]![0]!["message"]!["content"]!;
            Assert.Equal("Add by place.It is 68.", content);
        }
    }
}
