// Image DataContent through IChatClient is refused with a clear NotSupportedException (images are read by
// the OpenAI API and the CLI in this round), never silently dropped from the prompt.
using Microsoft.Extensions.AI;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatRole = Microsoft.Extensions.AI.ChatRole;

namespace SharpSeek.Extensions.AI.Tests;

[Collection("assets")]
public sealed class ImageContentTests(TestAssets assets)
{
    [Fact]
    public async Task Image_data_content_is_refused_by_name()
    {
        using var client = new SharpSeekChatClient(assets.Tiny, assets.Tokenizer);
        AiMessage message = new(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, "image/png")]);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([message], new ChatOptions { MaxOutputTokens = 2 }));
        Assert.Contains("image/png", e.Message);
    }
}
