// Hosts the server app for tests: in memory (TestServer) or on a loopback port (Kestrel), over the
// tiny checkpoint or a scripted model, with the shared trained tokenizer.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Runtime.Models;
using SharpSeek.Server;
using SharpSeek.Server.Hosting;
using SharpSeek.Tokenization;

namespace SharpSeek.Server.Tests;

public sealed class ServerHarness : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServerHarness(ServingContext engine, WebApplication app, HttpClient client, string? url)
    {
        Engine = engine; _app = app; Client = client; Url = url;
    }

    public ServingContext Engine { get; }
    public HttpClient Client { get; }
    /// <summary>Base URL when listening on loopback.</summary>
    public string? Url { get; }

    public static async Task<ServerHarness> StartAsync(ILanguageModel model, Tokenizer? tokenizer, ServerOptions? options = null, bool loopback = false,
        SharpSeek.Server.Tools.IServerTools? serverTools = null)
    {
        var engine = new ServingContext(model, tokenizer, options ?? new ServerOptions { ModelId = "tiny" }) { ServerTools = serverTools };
        WebApplication app = SharpSeekServer.Build(engine, b =>
        {
            if (loopback) b.WebHost.UseUrls("http://127.0.0.1:0");
            else b.WebHost.UseTestServer();
        });
        await app.StartAsync();
        if (!loopback) return new ServerHarness(engine, app, app.GetTestClient(), null);
        string url = app.Urls.First();
        return new ServerHarness(engine, app, new HttpClient { BaseAddress = new Uri(url) }, url);
    }

    public static Task<ServerHarness> TinyAsync(TestAssets a, ServerOptions? o = null, bool loopback = false) => StartAsync(a.Tiny, a.Tokenizer, o, loopback);

    /// <summary>Waits (briefly) for the scheduler to free cancelled sequences.</summary>
    public async Task<bool> PoolEmptiesAsync()
    {
        for (int i = 0; i < 200 && !Engine.Pool.IsEmpty; i++) await Task.Delay(20);
        return Engine.Pool.IsEmpty;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Engine.Dispose();
    }
}
