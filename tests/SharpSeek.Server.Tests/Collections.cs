// The shared assets (tiny checkpoint, trained tokenizer) as this assembly's collection fixture.
using SharpSeek.Extensions.AI.Tests;

namespace SharpSeek.Server.Tests;

[CollectionDefinition("assets")]
public sealed class ServerAssetsCollection : ICollectionFixture<TestAssets>;
