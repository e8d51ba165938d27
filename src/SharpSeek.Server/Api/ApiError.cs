// Errors in the OpenAI shape {"error": {"message", "type", "param", "code"}} with their HTTP
// status. Handlers throw ApiError; the error middleware writes it (or a 500 for anything else).
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SharpSeek.Server.Api;

public sealed class ApiError(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public static ApiError BadRequest(string message, string? param = null, string? code = null) => new(400, message, "invalid_request_error", param, code);

    public object Body() => new { error = new { message = Message, type = Type, param = Param, code = Code } };

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(Body(), ApiJson.Options));
    }
}

public static class ApiJson
{
    /// <summary>Nulls are written (OpenAI's error shape and messages carry explicit nulls).</summary>
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = false };
}
