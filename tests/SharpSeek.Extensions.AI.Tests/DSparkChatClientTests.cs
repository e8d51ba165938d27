// The IChatClient with Speculative on a V4.1 checkpoint (the golden v41-tiny, its DSpark head): the
// greedy answer is the same text as without speculation, and a model without a head is refused by name.
using Microsoft.Extensions.AI;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

namespace SharpSeek.Extensions.AI.Tests;

public sealed class DSparkChatClientTests
{
    [Fact]
    public async Task Speculative_answers_equal_plain_answers()
    {
        string dir = Path.Combine(TestAssets.FindRepo(), "tests", "fixtures", "v41-tiny");
        Tokenizer tok = Tokenizer.Load(Path.Combine(dir, "tokenizer.json"));
        using var md = ModelDirectory.Open(dir, engramTokenMap: _ => SharpSeek.Tokenization.Engram.CompressedTokenMap.Build(tok).Map);
        Assert.True(md.Model.HasDraftHead);
        var chat = new ChatOptions { MaxOutputTokens = 16, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } };
        using var plain = new SharpSeekChatClient(md.Model, tok, new SharpSeekChatClientOptions { DefaultTemperature = 0 });
        using var spec = new SharpSeekChatClient(md.Model, tok, new SharpSeekChatClientOptions { DefaultTemperature = 0, Speculative = true });
        ChatResponse a = await plain.GetResponseAsync("Hello there", chat);
        ChatResponse b = await spec.GetResponseAsync("Hello there", chat);
        Assert.Equal(a.Text, b.Text);
        Assert.Equal(a.Usage?.OutputTokenCount, b.Usage?.OutputTokenCount);
        Assert.True(a.Usage?.OutputTokenCount > 1, "the answer should run several decode steps");
    }
}
