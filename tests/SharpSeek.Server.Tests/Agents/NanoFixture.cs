// The embedded model (models/default: sharpseek-nano, its tokenizer and generation_config.json)
// loaded once for the tests that need a trained model: defaults, constrained decoding, the Responses API.
using SharpSeek.Extensions.AI.Tests;
using SharpSeek.Runtime.Models;
using SharpSeek.Tokenization;

namespace SharpSeek.Server.Tests.Agents;

public sealed class NanoFixture : IDisposable
{
    public NanoFixture()
    {
        Directory = ModelDirectory.Open(Path.Combine(TestAssets.FindRepo(), "models", "default"));
        Tokenizer = Tokenizer.Load(Directory.TokenizerPath!);
    }

    public ModelDirectory Directory { get; }
    public Tokenizer Tokenizer { get; }

    /// <summary>A server over the nano model with the directory's defaults, as `sharpseek serve` starts it.</summary>
    public Task<ServerHarness> ServeAsync(bool loopback = false, ServerOptions? options = null) =>
        ServerHarness.StartAsync(Directory.Model, Tokenizer, (options ?? new ServerOptions()) with { ModelId = "default", Defaults = Directory.Defaults }, loopback);

    public void Dispose() => Directory.Dispose();
}

[CollectionDefinition("nano")]
public sealed class NanoCollection : ICollectionFixture<NanoFixture>;
