// Image DataContent through IChatClient: on the golden V4.1 vision checkpoint (tests/fixtures/v41-tiny)
// an image message is answered, its span counted in the input tokens, and the next turn of the same
// conversation with the same image takes the first turn's prompt from the prefix cache; a model without
// a vision tower, a corrupt image, an image URL and an image on an assistant message are refused by name.
using Microsoft.Extensions.AI;
using SharpSeek.Images;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SharpSeek.Extensions.AI.Tests;

[Collection("assets")]
public sealed class ImageContentTests(TestAssets assets)
{
    private static readonly string V41Dir = Path.Combine(TestAssets.FindRepo(), "tests", "fixtures", "v41-tiny");
    private static readonly ChatOptions Short = new() { MaxOutputTokens = 3, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } };

    private static (ModelDirectory Model, Tokenizer Tokenizer) OpenVision()
    {
        Tokenizer tok = Tokenizer.Load(Path.Combine(V41Dir, "tokenizer.json"));
        return (ModelDirectory.Open(V41Dir, engramTokenMap: _ => SharpSeek.Tokenization.Engram.CompressedTokenMap.Build(tok).Map), tok);
    }

    private static AiMessage Picture(string text) =>
        new(ChatRole.User, [new TextContent(text), new DataContent(File.ReadAllBytes(Path.Combine(V41Dir, "image.png")), "image/png"), new TextContent(" in one word?")]);

    [Fact]
    public async Task Image_is_answered_and_the_next_turn_reuses_the_cached_prompt()
    {
        var (md, tok) = OpenVision();
        using var _ = md;
        using var client = new SharpSeekChatClient(md.Model, tok, new SharpSeekChatClientOptions { DefaultTemperature = 0 });
        // a prompt longer than the engine's shortest cached prefix (32 tokens)
        const string ask = "You are looking at a small synthetic test picture from a catalogue of generated images. What is this";
        List<AiMessage> history = [Picture(ask)];
        ChatResponse first = await client.GetResponseAsync(history, Short);
        Assert.True(first.Usage?.OutputTokenCount > 0);
        // the text alone is far shorter than the prompt counted: the image span (2 x 2 aligner rows + 4 delimiters) is in it
        int textOnly = tok.Encode(ask + " in one word?").Length;
        Assert.True(first.Usage!.InputTokenCount >= textOnly + 8, $"input tokens {first.Usage.InputTokenCount}");
        Assert.Equal(0, first.Usage.CachedInputTokenCount);
        history.AddRange(first.Messages);
        history.Add(new AiMessage(ChatRole.User, "And its colour?"));
        ChatResponse second = await client.GetResponseAsync(history, Short);
        Assert.True(second.Usage?.CachedInputTokenCount >= first.Usage.InputTokenCount,
            $"the second turn reused {second.Usage?.CachedInputTokenCount} of the first turn's {first.Usage.InputTokenCount} prompt tokens");
        Assert.True(second.Usage!.OutputTokenCount > 0);
        // a client without a cache computes the whole second prompt (the snapshot held the first turn's
        // decode steps, fed one token at a time: V4.1's one-token calls differ from a one-shot prefill, so
        // the two answers need not be equal; Runtime's ImagePrefixCacheTests compare the logits)
        using var cold = new SharpSeekChatClient(md.Model, tok, new SharpSeekChatClientOptions { DefaultTemperature = 0, PrefixCacheBytes = 0 });
        ChatResponse coldSecond = await cold.GetResponseAsync(history, Short);
        Assert.Equal(0, coldSecond.Usage?.CachedInputTokenCount);
        Assert.Equal(second.Usage.InputTokenCount, coldSecond.Usage?.InputTokenCount);
    }

    [Fact]
    public async Task Image_for_a_model_without_a_vision_tower_is_refused_by_name()
    {
        using var client = new SharpSeekChatClient(assets.Tiny, assets.Tokenizer);
        AiMessage message = new(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, "image/png")]);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([message], new ChatOptions { MaxOutputTokens = 2 }));
        Assert.Contains("image/png", e.Message);
        Assert.Contains("vision tower", e.Message);
    }

    [Fact]
    public async Task Corrupt_image_url_image_and_assistant_image_get_clear_errors()
    {
        var (md, tok) = OpenVision();
        using var _ = md;
        using var client = new SharpSeekChatClient(md.Model, tok);
        byte[] truncated = File.ReadAllBytes(Path.Combine(V41Dir, "image.png"))[..100];
        AiMessage corrupt = new(ChatRole.User, [new TextContent("What is this?"), new DataContent(truncated, "image/png")]);
        var bad = await Assert.ThrowsAsync<ImageInputException>(() => client.GetResponseAsync([corrupt], Short));
        Assert.Contains("image 1 (image/png)", bad.Message);
        AiMessage url = new(ChatRole.User, [new TextContent("What is this?"), new UriContent("https://example.com/cat.png", "image/png")]);
        var fetch = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([url], Short));
        Assert.Contains("not fetched", fetch.Message);
        AiMessage assistant = new(ChatRole.Assistant, [new DataContent(truncated, "image/png")]);
        var role = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([new AiMessage(ChatRole.User, "hi"), assistant, new AiMessage(ChatRole.User, "so?")], Short));
        Assert.Contains("user messages only", role.Message);
    }
}
