// Builds the ASP.NET Core app: error guard, bearer auth, the OpenAI-compatible routes over one
// ServingContext, and the chat page at /. The CLI runs it on Kestrel; tests run the same app on TestServer.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SharpSeek.Server.Api;
using SharpSeek.Server.Metrics;

namespace SharpSeek.Server.Hosting;

public static class SharpSeekServer
{
    /// <param name="configure">Extra host setup (URLs, TestServer, logging) before the app is built.</param>
    public static WebApplication Build(ServingContext engine, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(engine.Options);
        builder.Services.AddSingleton(engine.Metrics);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(engine.Options.MaxBodyBytes * 2, 1 << 20));
        if (engine.Options.OtlpEndpoint is Uri otlp)
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("sharpseek", serviceInstanceId: engine.Options.ModelId))
                .WithMetrics(m => m.AddMeter(Telemetry.Name).AddAspNetCoreInstrumentation().AddOtlpExporter(o => o.Endpoint = otlp))
                .WithTracing(t => t.AddSource(Telemetry.Name).AddAspNetCoreInstrumentation().AddOtlpExporter(o => o.Endpoint = otlp));
        configure?.Invoke(builder);
        WebApplication app = builder.Build();
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<AuthMiddleware>();
        app.MapPost("/v1/chat/completions", (HttpContext http) => ChatCompletionsEndpoint.HandleAsync(http, engine));
        app.MapPost("/v1/completions", (HttpContext http) => CompletionsEndpoint.HandleAsync(http, engine));
        app.MapPost("/v1/responses", (HttpContext http) => ResponsesEndpoint.HandleAsync(http, engine));
        app.MapGet("/v1/responses/{id}", (string id) => ResponsesEndpoint.Get(engine, id));
        // GET and HEAD alike on the read-only endpoints (load balancers probe /health with HEAD; Kestrel drops the body).
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/v1/models", read, () => InfoEndpoints.Models(engine));
        app.MapMethods("/v1/models/{id}", read, (string id) => InfoEndpoints.Model(engine, id));
        app.MapMethods("/health", read, () => InfoEndpoints.Health(engine));
        app.MapMethods("/metrics", read, () => InfoEndpoints.Metrics(engine));
        foreach (string path in ChatPage.Paths) app.MapMethods(path, read, () => ChatPage.File(path));
        app.MapGet("/chat/config", () => ChatPage.Config(engine));
        app.MapFallback((HttpContext http) => throw new ApiError(404, $"Unknown route {http.Request.Method} {http.Request.Path}.", "invalid_request_error", null, "not_found"));
        return app;
    }
}
