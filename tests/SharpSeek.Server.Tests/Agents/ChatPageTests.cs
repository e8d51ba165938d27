// The chat page in a real headless browser: Debian's chromium (/usr/bin/chromium) driven by
// Microsoft.Playwright, against `serve`'s app on loopback over sharpseek-nano (slowed to 25 ms per
// model call so the stream is observable). Sends a message and watches the thought log stream,
// collapses and reopens it, approves a tool call after editing its arguments, rejects another,
// undoes the last exchange, edits the second message (served from the prefix cache) and then the
// first, regenerating each. On a V4.1 checkpoint with a vision tower an attached image goes to the
// server as an image_url data: URL and the answer comes back; on nano the attach button is disabled.
// Screenshots go to
// bin/.../screenshots (docs/chat-page.png is one of them).
using Microsoft.Playwright;
using SharpSeek.Runtime.Models;
using SharpSeek.Server.Tools;

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class ChatPageTests(NanoFixture nano)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Send_think_approve_reject_undo_edit_and_regenerate()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium (.ci/run does it)");
        string shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        await using ServerHarness h = await ServerHarness.StartAsync(new SlowModel(nano.Directory.Model, 25), nano.Tokenizer,
            new ServerOptions { ModelId = "default", Defaults = nano.Directory.Defaults, ApiKey = "k" }, loopback: true);
        using IPlaywright pw = await Playwright.CreateAsync();
        await using IBrowser browser = await pw.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 760 } });
        await page.GotoAsync(h.Url + "/?key=k"); // the server wants a key: the page sends it as a bearer token
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.True(await page.IsCheckedAsync("#thinking")); // from generation_config.json
        Assert.Equal("default", await page.InputValueAsync("#model"));
        // nano has no vision tower: the attach button is off and says why
        Assert.True(await page.IsDisabledAsync("#attach"));
        Assert.Contains("no vision tower", await page.GetAttributeAsync("#attach", "title"));
        await page.FillAsync("#temperature", "0"); // greedy: the answers below are the model's best

        // 1. Send: the thought log is visible while it streams, the answer follows.
        await page.FillAsync("#input", "What is 45 + 23?");
        await page.ClickAsync("#send");
        ILocator streaming = page.Locator("details.thoughts[data-streaming=true] .thought-text");
        await page.WaitForFunctionAsync("() => { const t = document.querySelector('details.thoughts[data-streaming=true] .thought-text'); return t && t.textContent.length > 10; }");
        Assert.True(await streaming.IsVisibleAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "1-thinking-streams.png") });
        await Done(page, 1);
        Assert.Equal("68", (await page.Locator(".msg.assistant .answer").Last.InnerTextAsync()).Trim());
        Assert.True(await page.EvaluateAsync<int>("() => window.chatStats.reasoningDeltas") > 1);

        // 2. The finished thought log is collapsed and opens on a click.
        ILocator thoughts = page.Locator(".msg.assistant details.thoughts").Last;
        Assert.False(await thoughts.Locator(".thought-text").IsVisibleAsync());
        await thoughts.Locator("summary").ClickAsync();
        Assert.True(await thoughts.Locator(".thought-text").IsVisibleAsync());
        Assert.Contains("ones", await thoughts.Locator(".thought-text").InnerTextAsync());

        // 3. A tool call becomes a card; the user edits the arguments and approves: the edited call runs.
        await page.CheckAsync("#tools");
        await page.FillAsync("#input", "Use the calculator to find 123 + 321.");
        await page.ClickAsync("#send");
        ILocator card = page.Locator(".card[data-state=pending]");
        await card.WaitForAsync();
        Assert.Contains("123 + 321", await card.Locator("textarea").InputValueAsync());
        await card.Locator("textarea").FillAsync("{\"expression\": \"100 + 23\"}");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "2-tool-card.png") });
        await card.Locator("button.approve").ClickAsync();
        await Done(page, 2);
        Assert.Contains("returned: 123", await page.Locator(".card[data-state=approved] .state").InnerTextAsync());
        Assert.Contains("123", await page.Locator(".msg.assistant .answer").Last.InnerTextAsync()); // the answer quotes the edited call's result
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "3-tool-approved.png") });

        // 4. Reject: nothing runs, the card says so and the conversation goes on.
        await page.FillAsync("#input", "Use the calculator to find 200 + 22.");
        await page.ClickAsync("#send");
        await page.Locator(".card[data-state=pending]").WaitForAsync();
        await page.Locator(".card[data-state=pending] button.reject").ClickAsync();
        await page.Locator(".card[data-state=rejected]").WaitForAsync();
        await Done(page, 3);
        Assert.Contains("rejected", await page.Locator(".msg.tool").Last.InnerTextAsync());
        Assert.Equal(3, await page.Locator(".msg.user").CountAsync());

        // 5. Undo drops the last exchange (its card and tool result included).
        await page.ClickAsync("#undo");
        Assert.Equal(2, await page.Locator(".msg.user").CountAsync());
        Assert.Equal(0, await page.Locator(".card[data-state=rejected]").CountAsync());

        // 6. Edit the second message and regenerate: its exchange is replaced, the first one kept, and the
        //    shared prefix (tools, first exchange) comes from the prefix cache, so the kept part is exact.
        await page.Locator(".msg.user").Nth(1).Locator("button.edit").ClickAsync();
        await page.Locator("textarea.edit-text").FillAsync("Use the calculator to find 12 + 30.");
        await page.Locator("button.regenerate").ClickAsync();
        await page.Locator(".card[data-state=pending]").WaitForAsync();
        Assert.Contains("12 + 30", await page.Locator(".card[data-state=pending] textarea").InputValueAsync());
        await page.Locator(".card[data-state=pending] button.approve").ClickAsync();
        await Done(page, 2);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "5-second-message-edited.png") });
        // (What nano answers after the result in this second turn is not asserted: it was trained on single turns.)
        Assert.Contains("returned: 42", await page.Locator(".card[data-state=approved] .state").InnerTextAsync());
        Assert.Equal("68", (await page.Locator(".msg.assistant .answer").First.InnerTextAsync()).Trim());
        var cached = System.Text.RegularExpressions.Regex.Match(await page.InnerTextAsync("#status"), @"\((\d+) from the prefix cache\)");
        Assert.True(cached.Success && int.Parse(cached.Groups[1].Value) > 0, await page.InnerTextAsync("#status"));

        // 7. Edit the first message (tools off) and regenerate: everything after it goes.
        await page.UncheckAsync("#tools");
        await page.Locator(".msg.user").First.Locator("button.edit").ClickAsync();
        await page.Locator("textarea.edit-text").FillAsync("What is 12 + 30?");
        await page.Locator("button.regenerate").ClickAsync();
        await Done(page, 1);
        Assert.Equal(1, await page.Locator(".msg.user").CountAsync());
        Assert.Equal("What is 12 + 30?", (await page.Locator(".msg.user .text").InnerTextAsync()).Trim());
        Assert.Equal("42", (await page.Locator(".msg.assistant .answer").Last.InnerTextAsync()).Trim());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "4-edited-and-regenerated.png") });
    }

    [Fact]
    public async Task An_attached_image_goes_to_a_vision_model_and_back()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium (.ci/run does it)");
        string shots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(shots);
        // The V4.1 golden checkpoint (random weights, a vision tower) and its 56 x 70 test image.
        string fixture = Path.Combine(SharpSeek.Extensions.AI.Tests.TestAssets.FindRepo(), "tests", "fixtures", "v41-tiny");
        var tok = SharpSeek.Tokenization.Tokenizer.Load(Path.Combine(fixture, "tokenizer.json"));
        using ModelDirectory v41 = ModelDirectory.Open(fixture, null, _ => SharpSeek.Tokenization.Engram.CompressedTokenMap.Build(tok).Map);
        await using ServerHarness h = await ServerHarness.StartAsync(v41.Model, tok, new ServerOptions { ModelId = "tiny" }, loopback: true);
        using IPlaywright pw = await Playwright.CreateAsync();
        await using IBrowser browser = await pw.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 760 } });
        await page.GotoAsync(h.Url + "/");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.False(await page.IsDisabledAsync("#attach"));

        // Attach: a thumbnail with a remove button; removing and attaching again works.
        string png = Path.Combine(fixture, "image.png");
        await page.SetInputFilesAsync("#imageFile", png);
        await page.Locator("#attachments img").WaitForAsync();
        await page.Locator("#attachments button").ClickAsync();
        Assert.Equal(0, await page.Locator("#attachments img").CountAsync());
        await page.SetInputFilesAsync("#imageFile", png);
        await page.Locator("#attachments img").WaitForAsync();
        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#input", "What is in this picture?");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "6-image-attached.png") });

        // Send: the request carries the image as a data: URL before the text, the server reads it (200).
        IResponse response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#send"), r => r.Url.EndsWith("/v1/chat/completions"));
        Assert.True(response.Status == 200, await response.TextAsync());
        string sent = response.Request.PostData!;
        Assert.Contains("\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(png)) + "\"}", sent);
        Assert.Contains("{\"type\":\"text\",\"text\":\"What is in this picture?\"}", sent);
        await Done(page, 1);
        Assert.Equal(1, await page.Locator(".msg.user .images img").CountAsync());
        Assert.Equal(0, await page.Locator("#attachments img").CountAsync()); // sent, so no longer pending
        Assert.DoesNotContain("error", await page.InnerTextAsync("#status"));
        Assert.Equal(1, await page.Locator(".msg.assistant").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "7-image-sent.png") });
    }

    [Fact]
    public async Task Tools_the_server_ran_show_as_cards()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium (.ci/run does it)");
        await using McpToolbox mcp = await McpToolbox.AttachAsync([McpServerFixture.Spec], TimeSpan.FromSeconds(60));
        await using ServerHarness h = await nano.ServeAsync(loopback: true, serverTools: mcp);
        using IPlaywright pw = await Playwright.CreateAsync();
        await using IBrowser browser = await pw.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1100, Height = 760 } });
        await page.GotoAsync(h.Url + "/");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#temperature", "0");
        await page.FillAsync("#input", "Use the calculator to find 123 + 321."); // the page's own tools stay off
        await page.ClickAsync("#send");
        await Done(page, 1);
        ILocator card = page.Locator(".card[data-state=server][data-tool=calculator]");
        Assert.Contains("returned: 444", await card.InnerTextAsync());
        Assert.Contains("444", await page.Locator(".msg.assistant .answer").Last.InnerTextAsync());
    }

    [Fact]
    public async Task The_page_is_served_from_the_assembly_without_outside_urls()
    {
        await using ServerHarness h = await nano.ServeAsync();
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/chat/app.js", "text/javascript"), ("/chat/style.css", "text/css") })
        {
            using HttpResponseMessage r = await h.Client.GetAsync(path);
            Assert.Equal(200, (int)r.StatusCode);
            Assert.Equal(type, r.Content.Headers.ContentType!.MediaType);
            string body = await r.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", body);
            Assert.DoesNotContain("https://", body);
        }
        using HttpResponseMessage c = await h.Client.GetAsync("/chat/config");
        string config = await c.Content.ReadAsStringAsync();
        Assert.Contains("\"thinking\":true", config);
        Assert.Contains("\"vision\":false", config);
    }

    // Waits until no request runs and `users` user messages are shown, each answered.
    private static async Task Done(IPage page, int users)
    {
        await page.WaitForFunctionAsync($"() => document.body.dataset.busy === 'false' && document.querySelectorAll('.msg.user').length === {users}"
            + " && !document.querySelector('[data-streaming=true].msg') && !document.querySelector('.card[data-state=pending]')", null, new() { Timeout = 60_000 });
    }

    /// <summary>The model, slowed per call so a browser can watch the stream.</summary>
    private sealed class SlowModel(ILanguageModel inner, int delayMs) : ILanguageModel
    {
        public int VocabSize => inner.VocabSize;
        public int MaxContext => inner.MaxContext;
        public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;
        public bool HasDraftHead => inner.HasDraftHead;
        public ISequence CreateSequence(int maxRollback = 16, bool useDraftHead = false) => inner.CreateSequence(maxRollback, useDraftHead);

        public void Forward(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
        {
            Thread.Sleep(delayMs);
            inner.Forward(sequence, ids, logits);
        }

        public void ForwardLast(ISequence sequence, ReadOnlySpan<int> ids, Span<float> logits)
        {
            Thread.Sleep(delayMs);
            inner.ForwardLast(sequence, ids, logits);
        }

        public void ForwardDraft(ISequence sequence, int nextId, Span<float> logits) => inner.ForwardDraft(sequence, nextId, logits);
    }
}
