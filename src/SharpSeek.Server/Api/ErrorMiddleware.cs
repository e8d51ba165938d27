// The outermost guard: an ApiError becomes its OpenAI-shaped response, a client disconnect ends
// quietly, and any other exception becomes a 500 in the same shape (or an SSE error event when
// the stream has already started). No request can take the process down.
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SharpSeek.Server.Metrics;

namespace SharpSeek.Server.Api;

public sealed class ErrorMiddleware(RequestDelegate next, ServerMetrics metrics, ILogger<ErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try { await next(context); }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { return; }
        catch (Exception e)
        {
            ApiError error = e as ApiError ?? new ApiError(500, $"internal error: {e.Message}", "server_error");
            if (e is not ApiError) logger.LogError(e, "request {Path} failed", context.Request.Path);
            if (context.Response.HasStarted)
            {
                // Mid-stream: report in-band and end the stream properly.
                try { await Sse.WriteDataAsync(context.Response, error.Body(), default); await Sse.WriteDoneAsync(context.Response, default); }
                catch (Exception) { }
                return;
            }
            await error.WriteAsync(context.Response);
        }
        finally
        {
            string path = context.Request.Path.Value ?? "";
            if (path.StartsWith("/v1/", StringComparison.Ordinal) || path is "/health" or "/metrics")
                metrics.Request(path, context.Response.StatusCode);
        }
    }
}
