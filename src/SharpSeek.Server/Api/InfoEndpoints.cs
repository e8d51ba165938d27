// GET /v1/models (the one served model), GET /health (liveness plus load), GET /metrics (Prometheus).
using Microsoft.AspNetCore.Http;
using SharpSeek.Server.Hosting;

namespace SharpSeek.Server.Api;

public static class InfoEndpoints
{
    public static IResult Models(ServingContext engine) => Results.Json(new
    {
        @object = "list",
        data = new[] { new { id = engine.Options.ModelId, @object = "model", created = 0L, owned_by = "sharpseek", max_model_len = engine.Model.MaxContext } },
    }, ApiJson.Options);

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
