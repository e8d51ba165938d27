// Typed reads of request fields: each failure is a 400 naming the parameter. Also the settings
// shared by /v1/chat/completions and /v1/completions (model, sampling, limits, stream, n).
using System.Text.Json;
using SharpSeek.Runtime.Models;
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
    // The valid ranges of the sampling fields (OpenAI's where it defines them, vLLM's for its extensions).
    private const double MaxTemperature = 2, MaxPenalty = 2, MaxRepetitionPenalty = 2, MaxLogitBias = 100;
    private const int MaxTopLogprobs = 20;

    /// <param name="defaults">The model's generation_config.json: the sampling of fields the request leaves out.</param>
    public static CommonParams Common(JsonElement root, bool chat, GenerationDefaults? defaults = null)
    {
        GenerationDefaults d = defaults ?? GenerationDefaults.None;
        RefuseUnsupported(root, chat);
        string model = String(root, "model") ?? throw ApiError.BadRequest("you must provide a model parameter", "model");
        int? maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        if (maxTokens is < 1) throw ApiError.BadRequest($"max_tokens must be >= 1 (got {maxTokens})", "max_tokens");
        double temperature = Number(root, "temperature") ?? d.Temperature;
        if (!(temperature == 0 || temperature >= SamplingOptions.MinTemperature && temperature <= MaxTemperature))
            throw ApiError.BadRequest($"temperature must be 0 (greedy) or in [{SamplingOptions.MinTemperature}, {MaxTemperature}] (got {temperature})", "temperature");
        double topP = InRange(root, "top_p", d.TopP, 0, 1, minInclusive: false);
        double minP = InRange(root, "min_p", d.MinP, 0, 1, minInclusive: true);
        double repetition = InRange(root, "repetition_penalty", d.RepetitionPenalty, SamplingOptions.MinRepetitionPenalty, MaxRepetitionPenalty, minInclusive: true);
        double presence = InRange(root, "presence_penalty", 0, -MaxPenalty, MaxPenalty, minInclusive: true);
        double frequency = InRange(root, "frequency_penalty", 0, -MaxPenalty, MaxPenalty, minInclusive: true);
        int topK = Int(root, "top_k") ?? d.TopK;
        if (topK < -1) throw ApiError.BadRequest($"top_k must be -1 or 0 (off) or a positive integer (got {topK})", "top_k");
        int n = Int(root, "n") ?? 1;
        if (n is < 1 or > 16) throw ApiError.BadRequest($"n must be in [1, 16] (got {n})", "n");
        long? seed = Long(root, "seed");
        int topLogprobs = -1;
        if (chat)
        {
            int? requested = Int(root, "top_logprobs");
            if (requested is < 0 or > MaxTopLogprobs) throw ApiError.BadRequest($"top_logprobs must be in [0, {MaxTopLogprobs}] (got {requested})", "top_logprobs");
            if (Bool(root, "logprobs") == true) topLogprobs = requested ?? 0;
            else if (requested is not null) throw ApiError.BadRequest("top_logprobs requires logprobs to be true", "top_logprobs");
        }
        else if (Int(root, "logprobs") is int lp)
        {
            if (lp is < 0 or > MaxTopLogprobs) throw ApiError.BadRequest($"logprobs must be in [0, {MaxTopLogprobs}] (got {lp})", "logprobs");
            topLogprobs = lp;
        }
        bool stream = Bool(root, "stream") ?? false;
        bool includeUsage = false;
        if (root.TryGetProperty("stream_options", out JsonElement so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("stream_options must be an object", "stream_options");
            includeUsage = Bool(so, "include_usage") ?? false;
        }
        var sampling = new SamplingOptions
        {
            Temperature = (float)temperature,
            TopP = topP,
            TopK = topK > 0 ? topK : 0,
            MinP = minP,
            RepetitionPenalty = (float)repetition,
            PresencePenalty = (float)presence,
            FrequencyPenalty = (float)frequency,
            LogitBias = LogitBias(root),
            Seed = seed is long s ? unchecked((ulong)s) : null,
        };
        return new CommonParams
        {
            Model = model, MaxTokens = maxTokens, Sampling = sampling, Stop = Stop(root), N = n, Stream = stream,
            IncludeUsage = includeUsage, TopLogprobs = topLogprobs, ReturnTokenIds = Bool(root, "return_token_ids") ?? false,
        };
    }

    /// <summary>
    /// OpenAI fields this server knows but does not implement: refused by name when they ask for
    /// something (an explicit null or the neutral value passes), never silently ignored. Fields that
    /// change nothing here (user, metadata, store, service_tier) are type-checked only; parallel_tool_calls is read by ChatRequest.
    /// </summary>
    private static void RefuseUnsupported(JsonElement root, bool chat)
    {
        static bool Present(JsonElement o, string name, out JsonElement v) => o.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null;
        if (chat)
        {
            foreach (string name in new[] { "functions", "function_call" })
                if (Present(root, name, out _)) throw ApiError.BadRequest($"{name} (the legacy function API) is not supported; use tools and tool_choice", name);
            foreach (string name in new[] { "audio", "prediction", "web_search_options" })
                if (Present(root, name, out _)) throw ApiError.BadRequest($"{name} is not supported by this server", name);
            if (Present(root, "modalities", out JsonElement m)
                && (m.ValueKind != JsonValueKind.Array || m.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || x.GetString() != "text")))
                throw ApiError.BadRequest("modalities: only [\"text\"] is supported", "modalities");
            _ = Bool(root, "parallel_tool_calls");
        }
        else
        {
            if (Present(root, "suffix", out JsonElement sfx) && !(sfx.ValueKind == JsonValueKind.String && sfx.GetString()!.Length == 0))
                throw ApiError.BadRequest("suffix (fill-in-the-middle) is not supported", "suffix");
            if (Int(root, "best_of") is int bestOf && bestOf != 1) throw ApiError.BadRequest($"best_of {bestOf} is not supported (only 1)", "best_of");
        }
        _ = String(root, "user");
        _ = Bool(root, "store");
        if (Present(root, "metadata", out JsonElement md) && md.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("metadata must be an object", "metadata");
    }

    /// <summary>A number in (min, max] or [min, max]; every value outside, including ones a float cannot hold, is a 400.</summary>
    private static double InRange(JsonElement root, string name, double fallback, double min, double max, bool minInclusive)
    {
        double v = Number(root, name) ?? fallback;
        if (!(minInclusive ? v >= min : v > min) || !(v <= max))
            throw ApiError.BadRequest($"{name} must be in {(minInclusive ? "[" : "(")}{min}, {max}] (got {v})", name);
        return v;
    }

    // {"token id": bias}: ids as decimal strings, biases in [-100, 100] (OpenAI's schema).
    private static IReadOnlyDictionary<int, float>? LogitBias(JsonElement root)
    {
        if (!root.TryGetProperty("logit_bias", out JsonElement lb) || lb.ValueKind == JsonValueKind.Null) return null;
        if (lb.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("logit_bias must be an object mapping token ids to biases", "logit_bias");
        var bias = new Dictionary<int, float>();
        foreach (JsonProperty p in lb.EnumerateObject())
        {
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                throw ApiError.BadRequest($"logit_bias key \"{Clip(p.Name)}\" is not a token id (a non-negative integer)", "logit_bias");
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double b) || b is < -MaxLogitBias or > MaxLogitBias)
                throw ApiError.BadRequest($"logit_bias[{id}] must be a number in [-{MaxLogitBias}, {MaxLogitBias}]", "logit_bias");
            bias[id] = (float)b;
        }
        return bias.Count > 0 ? bias : null;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";

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
        // TryGetDouble refuses numbers beyond double's range (1e400).
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) ? d : throw ApiError.BadRequest($"{name} must be a finite number", name);
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
