// Images through the OpenAI chat API on the V4.1 golden checkpoint: a real server on loopback takes a
// data: URL image_url part from the official OpenAI .NET SDK and answers; bad images, http(s) URLs and
// images sent to a model without vision get 400s naming the part.
using System.ClientModel;
using System.Net;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;
using SharpSeek.Tokenization.Engram;

namespace SharpSeek.Server.Tests;

[Collection("assets")]
public sealed class ImageRequestTests(TestAssets assets)
{
    private static string Fixture(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpSeek.sln"))) dir = dir.Parent;
        return Path.Combine([dir!.FullName, "tests", "fixtures", .. parts]);
    }

    private static (ModelDirectory Model, Tokenizer Tokenizer) V41Tiny()
    {
        var tok = Tokenizer.Load(Fixture("v41-tiny", "tokenizer.json"));
        return (ModelDirectory.Open(Fixture("v41-tiny"), null, _ => CompressedTokenMap.Build(tok).Map), tok);
    }

    private static string Body(string url) =>
        "{\"model\":\"tiny\",\"max_tokens\":3,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":[" +
        "{\"type\":\"text\",\"text\":\"What is in \"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}},{\"type\":\"text\",\"text\":\" this picture?\"}]}]}";

    private static async Task<(HttpStatusCode, string)> Post(HttpClient c, string body)
    {
        using var r = await c.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_openai_sdk_sends_an_image_and_gets_an_answer()
    {
        var (dir, tok) = V41Tiny();
        using var _ = dir;
        await using var h = await ServerHarness.StartAsync(dir.Model, tok, new ServerOptions { ModelId = "tiny" }, loopback: true);
        var client = new ChatClient("tiny", new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = new Uri(h.Url + "/v1") });
        byte[] png = File.ReadAllBytes(Fixture("v41-tiny", "image.png"));
        var message = new UserChatMessage(ChatMessageContentPart.CreateTextPart("Describe "), ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(png), "image/png"),
            ChatMessageContentPart.CreateTextPart(" briefly."));
        ChatCompletion done = (await client.CompleteChatAsync([message], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 4 })).Value;
        Assert.Equal(4, done.Usage.OutputTokenCount);
        // the 56 x 70 image is a 2 x 2 aligner grid: its span is 2 * 3 + 2 = 8 tokens, counted in the prompt
        ChatCompletion plain = (await client.CompleteChatAsync([new UserChatMessage("Describe  briefly.")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 1 })).Value;
        Assert.Equal(plain.Usage.InputTokenCount + 8, done.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Bad_images_and_urls_get_400s_naming_the_part()
    {
        var (dir, tok) = V41Tiny();
        using var _ = dir;
        await using var h = await ServerHarness.StartAsync(dir.Model, tok);
        byte[] png = File.ReadAllBytes(Fixture("v41-tiny", "image.png"));
        (string Url, string Says)[] cases =
        [
            ("https://example.com/cat.png", "not fetched"),
            ("http://127.0.0.1:1/cat.png", "not fetched"),
            ("data:image/png;base64,!!!notbase64", "not valid base64"),
            ("data:image/png," + Convert.ToBase64String(png), "base64"),
            ("data:image/png;base64," + Convert.ToBase64String(png[..(png.Length / 2)]), "truncated"),
            ("data:image/png;base64," + Convert.ToBase64String("not an image at all"u8.ToArray()), "unknown image format"),
            ("data:image/png;base64," + Convert.ToBase64String([.. png[..16], 0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0, .. png[24..]]), "PNG"),
            ("ftp://x/y.png", "data: URL"),
        ];
        foreach (var (url, says) in cases)
        {
            var (status, body) = await Post(h.Client, Body(url));
            Assert.True(status == HttpStatusCode.BadRequest, $"{url[..Math.Min(40, url.Length)]}: {status} {body}");
            Assert.Contains(says, body);
            Assert.Contains("messages[0].content[1].image_url", body);
        }
    }

    [Fact]
    public async Task An_image_to_a_model_without_vision_is_a_400()
    {
        await using var h = await ServerHarness.TinyAsync(assets);
        byte[] png = File.ReadAllBytes(Fixture("v41-tiny", "image.png"));
        var (status, body) = await Post(h.Client, Body("data:image/png;base64," + Convert.ToBase64String(png)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("no vision tower", body);
    }
}
