// Typed reads of request fields: each failure is a 400 naming the parameter. Also the settings
// shared by /v1/chat/completions and /v1/completions (model, sampling, limits, stream, n).
using System.Text.Json;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Server.Api;

public sealed record CommonParams
{
    public required string Model { get; init; }
    public int? MaxTokens { get; init; }
    public SamplingOptions Sampling { get; init; } = new();
    public IReadOnlyList<string> Stop { get; init; } = [];
    public int N { get; init; } = 1;
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    /// <summary>-1 none; otherwise the number of alternatives per token (0 = chosen token only).</summary>
    public int TopLogprobs { get; init; } = -1;
    /// <summary>Extension (as vLLM): the generated ids in each choice.</summary>
    public bool ReturnTokenIds { get; init; }
}

public static class RequestFields
{
    public static CommonParams Common(JsonElement root, bool chat)
    {
        string model = String(root, "model") ?? throw ApiError.BadRequest("you must provide a model parameter", "model");
        int? maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        if (maxTokens is < 1) throw ApiError.BadRequest($"max_tokens must be >= 1 (got {maxTokens})", "max_tokens");
        double temperature = Number(root, "temperature") ?? 1;
        if (temperature is < 0 or > 2) throw ApiError.BadRequest($"temperature must be in [0, 2] (got {temperature})", "temperature");
        double topP = Number(root, "top_p") ?? 1;
        if (topP is <= 0 or > 1) throw ApiError.BadRequest($"top_p must be in (0, 1] (got {topP})", "top_p");
        int n = Int(root, "n") ?? 1;
        if (n is < 1 or > 16) throw ApiError.BadRequest($"n must be in [1, 16] (got {n})", "n");
        long? seed = Long(root, "seed");
        int topLogprobs = -1;
        if (chat)
        {
            if (Bool(root, "logprobs") == true) topLogprobs = Int(root, "top_logprobs") ?? 0;
            else if (Int(root, "top_logprobs") is not null) throw ApiError.BadRequest("top_logprobs requires logprobs to be true", "top_logprobs");
        }
        else if (Int(root, "logprobs") is int lp) topLogprobs = lp;
        if (topLogprobs > 20) throw ApiError.BadRequest($"top_logprobs must be <= 20 (got {topLogprobs})", chat ? "top_logprobs" : "logprobs");
        if (topLogprobs < -1) throw ApiError.BadRequest("logprobs must be >= 0", "logprobs");
        bool stream = Bool(root, "stream") ?? false;
        bool includeUsage = root.TryGetProperty("stream_options", out JsonElement so) && so.ValueKind == JsonValueKind.Object && (Bool(so, "include_usage") ?? false);
        var sampling = new SamplingOptions
        {
            Temperature = (float)temperature,
            TopP = topP,
            TopK = Int(root, "top_k") is int k and > 0 ? k : 0,
            PresencePenalty = (float)(Number(root, "presence_penalty") ?? 0),
            FrequencyPenalty = (float)(Number(root, "frequency_penalty") ?? 0),
            Seed = seed is long s ? unchecked((ulong)s) : null,
        };
        return new CommonParams
        {
            Model = model, MaxTokens = maxTokens, Sampling = sampling, Stop = Stop(root), N = n, Stream = stream,
            IncludeUsage = includeUsage, TopLogprobs = topLogprobs, ReturnTokenIds = Bool(root, "return_token_ids") ?? false,
        };
    }

    private static IReadOnlyList<string> Stop(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out JsonElement s) || s.ValueKind == JsonValueKind.Null) return [];
        if (s.ValueKind == JsonValueKind.String) return [s.GetString()!];
        if (s.ValueKind != JsonValueKind.Array || s.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw ApiError.BadRequest("stop must be a string or an array of strings", "stop");
        var list = s.EnumerateArray().Select(e => e.GetString()!).ToList();
        if (list.Count > 4) throw ApiError.BadRequest("stop may hold at most 4 sequences", "stop");
        return list;
    }

    public static string? String(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiError.BadRequest($"{name} must be a string", name);
    }

    public static bool? Bool(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw ApiError.BadRequest($"{name} must be a boolean", name) };
    }

    public static double? Number(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw ApiError.BadRequest($"{name} must be a number", name);
    }

    public static int? Int(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw ApiError.BadRequest($"{name} must be an integer", name);
    }

    public static long? Long(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long i) ? i : throw ApiError.BadRequest($"{name} must be an integer", name);
    }
}
