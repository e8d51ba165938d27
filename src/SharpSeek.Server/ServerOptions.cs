// Settings of one server instance, as the serve command receives them.
namespace SharpSeek.Server;

public sealed record ServerOptions
{
    /// <summary>The model name clients must send (GET /v1/models lists it).</summary>
    public string ModelId { get; init; } = "sharpseek";
    /// <summary>Bearer token required on /v1/*; null = no authentication.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Generation requests in flight (each choice of n counts); beyond it: 429.</summary>
    public int MaxConcurrent { get; init; } = 16;
    public long MaxBodyBytes { get; init; } = 4 * 1024 * 1024;
    public int DefaultMaxTokens { get; init; } = 256;
    public int PrefillChunk { get; init; } = 64;
    /// <summary>Decode every request speculatively with the model's MTP head (same tokens, fewer model calls when drafts are accepted).</summary>
    public bool Speculative { get; init; }
    /// <summary>Bytes of sequence memory kept for prefix reuse across requests (0 = off).</summary>
    public long PrefixCacheBytes { get; init; } = 256L << 20;
    /// <summary>OTLP endpoint (e.g. http://localhost:4317) receiving the server's OpenTelemetry metrics and traces; null = none.</summary>
    public Uri? OtlpEndpoint { get; init; }
    /// <summary>Responses kept in memory for previous_response_id (POST /v1/responses with store); the least recently used go first.</summary>
    public int StoredResponses { get; init; } = 1024;
    /// <summary>Bounds of constrained output (string length, array items, nesting) that keep every constrained document finite.</summary>
    public SharpSeek.Runtime.Constraints.ConstraintLimits ConstraintLimits { get; init; } = new();
    /// <summary>The model directory's generation_config.json: thinking, effort and sampling of requests that leave them out.</summary>
    public SharpSeek.Runtime.Models.GenerationDefaults Defaults { get; init; } = SharpSeek.Runtime.Models.GenerationDefaults.None;
}
