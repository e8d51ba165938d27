// GET /v1/models (the one served model) and /v1/models/{id}, GET /health (liveness plus load), GET /metrics (Prometheus).
using Microsoft.AspNetCore.Http;
using SharpSeek.Server.Hosting;

namespace SharpSeek.Server.Api;

public static class InfoEndpoints
{
    public static IResult Models(ServingContext engine) => Results.Json(new { @object = "list", data = new[] { Card(engine) } }, ApiJson.Options);

    /// <summary>GET /v1/models/{id}: the served model, or 404 naming what is served.</summary>
    public static IResult Model(ServingContext engine, string id)
    {
        engine.CheckModel(id);
        return Results.Json(Card(engine), ApiJson.Options);
    }

    private static object Card(ServingContext engine) =>
        new { id = engine.Options.ModelId, @object = "model", created = 0L, owned_by = "sharpseek", max_model_len = engine.Model.MaxContext };

    public static IResult Health(ServingContext engine) => Results.Json(new
    {
        status = "ok",
        model = engine.Options.ModelId,
        active_sequences = engine.Engine.ActiveCount,
        queue_length = engine.Engine.QueueLength,
        live_memory_sequences = engine.Pool.LiveSequences,
        tokenizer = engine.Tokenizer is not null,
    }, ApiJson.Options);

    public static IResult Metrics(ServingContext engine) =>
        Results.Text(engine.Metrics.Render(engine.Engine), "text/plain; version=0.0.4; charset=utf-8");
}
