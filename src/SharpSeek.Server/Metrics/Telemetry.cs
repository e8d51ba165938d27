// The server as OpenTelemetry sees it, beside the Prometheus text of /metrics: a Meter and an
// ActivitySource named SharpSeek.Server. Instruments: sharpseek.requests (endpoint, status),
// gen_ai.client.token.usage (gen_ai.token.type input|output), sharpseek.time_to_first_token (s);
// one "chat MODEL" span per generation request with gen_ai.* attributes (OpenTelemetry's GenAI
// conventions). Plain System.Diagnostics types: SharpSeekServer adds the SDK with an OTLP exporter
// when ServerOptions.OtlpEndpoint is set; anything else (tests' in-memory exporters) may listen too.
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SharpSeek.Server.Metrics;

public sealed class Telemetry : IDisposable
{
    public const string Name = "SharpSeek.Server";

    public Telemetry()
    {
        Meter = new Meter(Name);
        Source = new ActivitySource(Name);
        Requests = Meter.CreateCounter<long>("sharpseek.requests", "{request}", "HTTP requests by endpoint and status");
        Tokens = Meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", "Tokens per finished sequence, input (prompt) or output (generated)");
        TimeToFirstToken = Meter.CreateHistogram<double>("sharpseek.time_to_first_token", "s", "From submission to the first generated token");
    }

    public Meter Meter { get; }
    public ActivitySource Source { get; }
    public Counter<long> Requests { get; }
    public Histogram<long> Tokens { get; }
    public Histogram<double> TimeToFirstToken { get; }

    /// <summary>A span for one generation request (null when nobody listens).</summary>
    public Activity? StartGeneration(string model, int choices, int maxTokens, float temperature)
    {
        Activity? a = Source.StartActivity($"chat {model}", ActivityKind.Internal);
        a?.SetTag("gen_ai.operation.name", "chat");
        a?.SetTag("gen_ai.system", "sharpseek");
        a?.SetTag("gen_ai.request.model", model);
        a?.SetTag("gen_ai.request.max_tokens", maxTokens);
        a?.SetTag("gen_ai.request.temperature", temperature);
        a?.SetTag("gen_ai.request.choice.count", choices);
        return a;
    }

    public void Dispose()
    {
        Meter.Dispose();
        Source.Dispose();
    }
}
