// OpenTelemetry beside /metrics: with the SDK listening (in-memory exporters here, OTLP under
// `serve --otlp-endpoint`), a chat request yields a "chat MODEL" span with gen_ai.* attributes and
// the request, token and time-to-first-token instruments.
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SharpSeek.Server.Hosting;
using SharpSeek.Server.Metrics;

namespace SharpSeek.Server.Tests.Agents;

[Collection("nano")]
public sealed class TelemetryTests(NanoFixture nano)
{
    [Fact]
    public async Task A_chat_request_is_a_span_and_counts_in_the_meters()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var engine = new ServingContext(nano.Directory.Model, nano.Tokenizer, new ServerOptions { ModelId = "default", Defaults = nano.Directory.Defaults });
        await using WebApplication app = SharpSeekServer.Build(engine, b =>
        {
            b.WebHost.UseTestServer();
            b.Services.AddOpenTelemetry()
                .WithTracing(t => t.AddSource(Telemetry.Name).AddAspNetCoreInstrumentation().AddInMemoryExporter(spans))
                .WithMetrics(m => m.AddMeter(Telemetry.Name).AddInMemoryExporter(metrics));
        });
        await app.StartAsync();
        var (status, _) = await Json.PostAsync(app.GetTestClient(), "/v1/chat/completions", new
        {
            model = "default", messages = new[] { new { role = "user", content = "What is 45 + 23?" } }, seed = 1,
        });
        Assert.Equal(200, status);
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        await app.StopAsync();

        Assert.True(spans.Count(s => s.DisplayName == "chat default") == 1, string.Join(", ", spans.Select(s => s.DisplayName)) + $" / metrics: {string.Join(", ", metrics.Select(m => m.Name))}");
        Activity span = spans.Single(s => s.DisplayName == "chat default");
        Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
        Assert.True((long)span.GetTagItem("gen_ai.usage.output_tokens")! > 1);
        Assert.True((int)span.GetTagItem("gen_ai.usage.input_tokens")! > 5);
        Assert.Contains(metrics, m => m.Name == "gen_ai.client.token.usage");
        Assert.Contains(metrics, m => m.Name == "sharpseek.time_to_first_token");
        Assert.Contains(metrics, m => m.Name == "sharpseek.requests");
    }
}
