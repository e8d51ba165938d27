// Bearer-token check for /v1/* when the server has an API key (health and metrics stay open).
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SharpSeek.Server.Api;

public sealed class AuthMiddleware(RequestDelegate next, ServerOptions options)
{
    private readonly byte[]? _key = options.ApiKey is { Length: > 0 } k ? Encoding.UTF8.GetBytes(k) : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (_key is null || !context.Request.Path.StartsWithSegments("/v1")) return next(context);
        string header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw new ApiError(401, "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.", "invalid_request_error", null, "invalid_api_key");
        byte[] given = Encoding.UTF8.GetBytes(header[7..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(given, _key))
            throw new ApiError(401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
        return next(context);
    }
}
