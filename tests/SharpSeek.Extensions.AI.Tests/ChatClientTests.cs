// The IChatClient in-process: conversation on the tiny random checkpoint (streaming = non-streaming,
// seeds reproduce, options reach the sampler), tool calls and reasoning through a scripted model,
// tool results round-tripping into the V4 prompt, stop sequences, cancellation freeing memory.
using Microsoft.Extensions.AI;
using SharpSeek.Tokenization.Chat;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SharpSeek.Extensions.AI.Tests;

[Collection("assets")]
public sealed class ChatClientTests(TestAssets assets)
{
    private static readonly ChatOptions Chat = new() { Reasoning = new ReasoningOptions { Effort = Microsoft.Extensions.AI.ReasoningEffort.None } };

    [Fact]
    public async Task Conversation_streaming_equals_non_streaming_and_seed_reproduces()
    {
        using var client = new SharpSeekChatClient(assets.Tiny, assets.Tokenizer);
        var options = Chat.Clone();
        options.Temperature = 0.9f; options.Seed = 7; options.MaxOutputTokens = 12;
        AiMessage[] messages = [new(ChatRole.System, "You are helpful."), new(ChatRole.User, "Hello, how are you?")];
        ChatResponse a = await client.GetResponseAsync(messages, options);
        ChatResponse b = await client.GetResponseAsync(messages, options);
        var streamed = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate u in client.GetStreamingResponseAsync(messages, options)) streamed.Add(u);

        Assert.Equal(a.Text, b.Text);
        Assert.Equal(a.Text, string.Concat(streamed.SelectMany(u => u.Contents).OfType<TextContent>().Select(t => t.Text)));
        Assert.True(a.Usage!.OutputTokenCount is > 0 and <= 12);
        Assert.True(a.Usage.InputTokenCount > 5);
        Assert.Equal(a.Usage.OutputTokenCount, streamed.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details.OutputTokenCount);
        Assert.NotNull(streamed[^1].FinishReason);
        Assert.True(client.Pool.IsEmpty);
    }

    [Fact]
    public async Task Different_seeds_give_different_samples()
    {
        using var client = new SharpSeekChatClient(assets.Tiny, assets.Tokenizer);
        AiMessage[] messages = [new(ChatRole.User, "Tell me a story.")];
        var texts = new HashSet<string>();
        for (int s = 0; s < 4; s++)
        {
            var o = Chat.Clone(); o.Temperature = 1.5f; o.Seed = s; o.MaxOutputTokens = 8;
            texts.Add((await client.GetResponseAsync(messages, o)).Text);
        }
        Assert.True(texts.Count > 1);
    }

    private static readonly SharpSeekChatClientOptions NoCache = new() { PrefixCacheBytes = 0 };

    [Fact]
    public async Task Tool_call_and_reasoning_map_to_function_call_and_reasoning_contents()
    {
        var model = assets.Scripted(TestAssets.WeatherCall);
        // No prefix cache: the test reads each prompt from the memory the model frees.
        using var client = new SharpSeekChatClient(model, assets.Tokenizer, NoCache);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => "22 degrees", "get_weather", "Weather of a city")], MaxOutputTokens = 200 };
        ChatResponse r = await client.GetResponseAsync([new AiMessage(ChatRole.User, "What is the weather in Paris?")], options);

        FunctionCallContent call = Assert.Single(r.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments!["city"]!.ToString());
        Assert.Equal("Let me check the weather.", Assert.Single(r.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>()).Text);
        Assert.Equal(ChatFinishReason.ToolCalls, r.FinishReason);
        // The tool definition reached the prompt.
        string prompt = assets.Tokenizer.Decode(model.Fed[^1]);
        Assert.Contains("get_weather", prompt);
        Assert.Contains("## Tools", prompt);

        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate u in client.GetStreamingResponseAsync([new AiMessage(ChatRole.User, "What is the weather in Paris?")], options)) updates.Add(u);
        Assert.Equal("get_weather", Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>()).Name);
        Assert.Equal("Let me check the weather.", string.Concat(updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Select(t => t.Text)));
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        Assert.Equal(0, model.LiveSequences);
    }

    [Fact]
    public async Task Tool_result_round_trips_into_the_prompt()
    {
        var model = assets.Scripted(TestAssets.WeatherAnswer);
        using var client = new SharpSeekChatClient(model, assets.Tokenizer, NoCache);
        var args = new Dictionary<string, object?> { ["city"] = "Paris" };
        AiMessage[] conversation =
        [
            new(ChatRole.User, "What is the weather in Paris?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_weather", args)]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "22 degrees, sunny")]),
        ];
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => "22 degrees", "get_weather")] };
        ChatResponse r = await client.GetResponseAsync(conversation, options);
        Assert.Equal("It is 22 degrees and sunny in Paris.", r.Text);
        string prompt = assets.Tokenizer.Decode(model.Fed[^1]);
        Assert.Contains("22 degrees, sunny", prompt);
        Assert.Contains("invoke name=\"get_weather\"", prompt);
        Assert.Contains("Paris", prompt);
        // The same conversation rendered by the encoder directly (the oracle) is what was fed.
        var v4 = new List<SharpSeek.Tokenization.Chat.ChatMessage>
        {
            SharpSeek.Tokenization.Chat.ChatMessage.User("What is the weather in Paris?"),
            SharpSeek.Tokenization.Chat.ChatMessage.Assistant("", null, [new ToolCall("get_weather", "{\"city\":\"Paris\"}", "call_1")]),
            SharpSeek.Tokenization.Chat.ChatMessage.ToolResult("call_1", "22 degrees, sunny"),
        };
        Assert.Contains("22 degrees, sunny", ChatEncoder.Encode(v4, new ChatEncodeOptions { ThinkingMode = ThinkingMode.Thinking }));
    }

    [Fact]
    public async Task Stop_sequence_cuts_the_text()
    {
        var model = assets.Scripted("Hello world. Goodbye world.");
        using var client = new SharpSeekChatClient(model, assets.Tokenizer);
        var o = Chat.Clone(); o.StopSequences = ["Goodbye"];
        ChatResponse r = await client.GetResponseAsync([new AiMessage(ChatRole.User, "hi")], o);
        Assert.Equal("Hello world. ", r.Text);
        Assert.Equal(ChatFinishReason.Stop, r.FinishReason);
    }

    [Fact]
    public async Task Cancellation_throws_and_frees_memory()
    {
        var model = assets.Scripted(string.Concat(Enumerable.Repeat("one two three four five ", 40)), delayMs: 5);
        // Without a prefix cache: with one, a cancelled conversation of 32+ fed tokens is legitimately kept
        // as a snapshot (which made this check depend on how far the producer ran ahead on a slow machine).
        using var client = new SharpSeekChatClient(model, assets.Tokenizer, NoCache);
        using var cts = new CancellationTokenSource();
        var o = Chat.Clone(); o.MaxOutputTokens = 400; o.Temperature = 0;
        int seen = 0, forwardsAtCancel = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate u in client.GetStreamingResponseAsync([new AiMessage(ChatRole.User, "Count to a thousand.")], o, cts.Token))
                if (++seen == 2) { forwardsAtCancel = model.Forwards; cts.Cancel(); }
        });
        Assert.True(client.Pool.IsEmpty);
        Assert.Equal(0, model.LiveSequences);
        // Measured from the moment of cancellation (the producer may run ahead of a slow consumer before it).
        Assert.True(model.Forwards <= forwardsAtCancel + 2, $"generation went on after the cancellation ({forwardsAtCancel} -> {model.Forwards} forwards)");
    }

    [Fact]
    public async Task Cancellation_with_a_prefix_cache_keeps_only_what_the_cache_holds()
    {
        var model = assets.Scripted(string.Concat(Enumerable.Repeat("one two three four five ", 40)), delayMs: 5);
        using var client = new SharpSeekChatClient(model, assets.Tokenizer);
        using var cts = new CancellationTokenSource();
        var o = Chat.Clone(); o.MaxOutputTokens = 400; o.Temperature = 0;
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate u in client.GetStreamingResponseAsync([new AiMessage(ChatRole.User, "Count to a thousand.")], o, cts.Token))
                if (++seen == 2) cts.Cancel();
        });
        Assert.True(client.Pool.IsEmpty);
        // Whether the cancelled conversation was long enough to be kept depends on timing; what is alive is exactly what the cache holds.
        Assert.Equal(client.Engine.Cache.Count, model.LiveSequences);
        Assert.InRange(client.Engine.Cache.Count, 0, 1);
    }

    [Fact]
    public async Task An_agent_loop_resending_its_history_is_served_from_the_prefix_cache()
    {
        using var warm = new SharpSeekChatClient(assets.Tiny, assets.Tokenizer);
        using var cold = new SharpSeekChatClient(assets.Tiny, assets.Tokenizer, NoCache);
        var o = Chat.Clone(); o.MaxOutputTokens = 6; o.Temperature = 0;
        var history = new List<AiMessage> { new(ChatRole.System, "You answer questions about the weather, briefly and exactly."), new(ChatRole.User, "What is the weather in Paris today?") };
        ChatResponse first = await warm.GetResponseAsync(history, o);
        Assert.Equal(0, first.Usage!.CachedInputTokenCount);
        history.AddRange(first.Messages);
        history.Add(new AiMessage(ChatRole.User, "And in Rome?"));
        ChatResponse second = await warm.GetResponseAsync(history, o);
        Assert.True(second.Usage!.CachedInputTokenCount > 20, $"cached {second.Usage.CachedInputTokenCount}");
        ChatResponse reference = await cold.GetResponseAsync(history, o);
        Assert.Equal(reference.Text, second.Text);
        Assert.True(warm.Pool.IsEmpty);
    }
}
