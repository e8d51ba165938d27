// The IChatClient on the embedded model (sharpseek-nano) as .NET agents use it: under
// Microsoft.Extensions.AI's FunctionInvokingChatClient (the calculator runs and the answer quotes
// it), ResponseFormat as constrained JSON that validates, a required tool with
// AllowMultipleToolCalls false (exactly one call), and Reasoning none (no thought log).
using System.Text.Json;
using Microsoft.Extensions.AI;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

namespace SharpSeek.Extensions.AI.Tests;

public sealed class NanoModel : IDisposable
{
    public NanoModel()
    {
        Directory = ModelDirectory.Open(Path.Combine(TestAssets.FindRepo(), "models", "default"));
        Tokenizer = Tokenizer.Load(Directory.TokenizerPath!);
    }

    public ModelDirectory Directory { get; }
    public Tokenizer Tokenizer { get; }
    public void Dispose() => Directory.Dispose();
}

public sealed class NanoChatClientTests(NanoModel nano) : IClassFixture<NanoModel>
{
    private SharpSeekChatClient Client() => new(nano.Directory.Model, nano.Tokenizer, new SharpSeekChatClientOptions { DefaultTemperature = 0 });

    private static AIFunction Calculator(List<string> calls) => AIFunctionFactory.Create((string expression) =>
    {
        calls.Add(expression);
        string[] p = expression.Split('+', StringSplitOptions.TrimEntries);
        return p.Length == 2 && int.TryParse(p[0], out int a) && int.TryParse(p[1], out int b) ? (a + b).ToString() : "error";
    }, "calculator", "Evaluates an arithmetic expression");

    [Fact]
    public async Task Works_under_FunctionInvokingChatClient()
    {
        var calls = new List<string>();
        using IChatClient client = new ChatClientBuilder(Client()).UseFunctionInvocation().Build();
        ChatResponse r = await client.GetResponseAsync("Use the calculator to find 123 + 321.", new ChatOptions { Tools = [Calculator(calls)] });
        Assert.Equal(["123 + 321"], calls);
        Assert.Contains("444", r.Text);
    }

    [Fact]
    public async Task ResponseFormat_is_constrained_json_that_validates()
    {
        using JsonDocument schema = JsonDocument.Parse("""
            {"type": "object", "properties": {"answer": {"type": "integer"}, "ok": {"type": "boolean"}}, "required": ["answer", "ok"], "additionalProperties": false}
            """);
        using SharpSeekChatClient client = Client();
        for (long seed = 1; seed <= 3; seed++)
        {
            ChatResponse r = await client.GetResponseAsync("What is 45 + 23?", new ChatOptions
            {
                ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement, "sum"), Temperature = 1, Seed = seed, MaxOutputTokens = 300,
            });
            using JsonDocument doc = JsonDocument.Parse(r.Text);
            Assert.Equal(["answer", "ok"], doc.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.True(doc.RootElement.GetProperty("answer").TryGetInt64(out _));
            Assert.True(doc.RootElement.GetProperty("ok").ValueKind is JsonValueKind.True or JsonValueKind.False);
        }
    }

    [Fact]
    public async Task A_required_tool_without_multiple_calls_gives_exactly_one_call()
    {
        using SharpSeekChatClient client = Client();
        ChatResponse r = await client.GetResponseAsync("What is 45 + 23?", new ChatOptions
        {
            Tools = [Calculator([])], ToolMode = ChatToolMode.RequireSpecific("calculator"), AllowMultipleToolCalls = false, MaxOutputTokens = 400,
        });
        FunctionCallContent call = Assert.Single(r.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("calculator", call.Name);
        Assert.Equal(ChatFinishReason.ToolCalls, r.FinishReason);
    }

    [Fact]
    public async Task Reasoning_none_and_instructions()
    {
        using SharpSeekChatClient client = Client();
        ChatResponse r = await client.GetResponseAsync("What is 45 + 23?", new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None }, Instructions = "Be brief.", MaxOutputTokens = 40 });
        Assert.Empty(r.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
        ChatResponse thinking = await client.GetResponseAsync("What is 45 + 23?", new ChatOptions { Instructions = "Be brief." });
        Assert.NotEmpty(thinking.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
    }
}
