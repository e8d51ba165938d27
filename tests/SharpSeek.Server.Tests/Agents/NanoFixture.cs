// The embedded model (models/default: sharpseek-nano, its tokenizer and generation_config.json)
// loaded once for the server tests that need a trained model: defaults, constrained decoding, the
// Responses API, the chat page, the SDKs.
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

namespace SharpSeek.Server.Tests.Agents;

public sealed class NanoFixture : IDisposable
{
    private readonly NanoModel _nano = new();

    public ModelDirectory Directory => _nano.Directory;
    public Tokenizer Tokenizer => _nano.Tokenizer;

    /// <summary>A server over the nano model with the directory's defaults, as `sharpseek serve` starts it.</summary>
    public Task<ServerHarness> ServeAsync(bool loopback = false, ServerOptions? options = null, SharpSeek.Server.Tools.IServerTools? serverTools = null) =>
        ServerHarness.StartAsync(Directory.Model, Tokenizer, (options ?? new ServerOptions()) with { ModelId = "default", Defaults = Directory.Defaults }, loopback, serverTools);

    public void Dispose() => _nano.Dispose();
}

[CollectionDefinition("nano")]
public sealed class NanoCollection : ICollectionFixture<NanoFixture>;
