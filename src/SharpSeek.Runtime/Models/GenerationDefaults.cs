// A model directory's chat defaults, read once from generation_config.json (the Hugging Face
// convention): sampling (do_sample, temperature, top_p, top_k, min_p, repetition_penalty) and the
// V4 chat switches SharpSeek adds beside them (`thinking`: bool, `reasoning_effort`: none | high | max).
// Front ends use them for every field a request leaves out. Keys HF writes that do not concern
// sampling (bos_token_id, transformers_version, ...) are ignored; a known key with the wrong type
// or out of its range is an error naming the key and the file.
using System.Text.Json;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Models;

/// <summary>Reasoning effort of a thinking-mode prompt (the V4 template's reasoning_effort).</summary>
public enum ReasoningLevel { Default, High, Max }

public sealed record GenerationDefaults
{
    public const string FileName = "generation_config.json";

    /// <summary>Thinking mode when a request does not say (V4's own default is off).</summary>
    public bool Thinking { get; init; }
    public ReasoningLevel Effort { get; init; } = ReasoningLevel.Default;
    /// <summary>0 = greedy (do_sample: false).</summary>
    public float Temperature { get; init; } = 1f;
    public double TopP { get; init; } = 1;
    public int TopK { get; init; }
    public double MinP { get; init; }
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>What a directory without generation_config.json gets: thinking off, plain sampling at T = 1.</summary>
    public static GenerationDefaults None { get; } = new();

    /// <summary>The sampling settings these defaults describe (callers override per request).</summary>
    public SamplingOptions Sampling => new()
    {
        Temperature = Temperature, TopP = TopP, TopK = TopK, MinP = MinP, RepetitionPenalty = RepetitionPenalty,
    };

    /// <summary>generation_config.json in <paramref name="directory"/>, or <see cref="None"/> when absent.</summary>
    public static GenerationDefaults Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : None;
    }

    /// <summary>Parses the JSON text; <paramref name="source"/> names it in errors.</summary>
    public static GenerationDefaults Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: must be a JSON object");
            bool sample = Bool(root, "do_sample", source) ?? true;
            float temperature = (float)(Real(root, "temperature", source, 0, 2, true) ?? 1);
            if (temperature is > 0 and < SamplingOptions.MinTemperature)
                throw new InvalidDataException($"{source}: temperature must be 0 or >= {SamplingOptions.MinTemperature} (got {temperature})");
            string? effort = Str(root, "reasoning_effort", source);
            return new GenerationDefaults
            {
                Thinking = Bool(root, "thinking", source) ?? false,
                Effort = effort switch
                {
                    null or "none" or "low" or "medium" => ReasoningLevel.Default,
                    "high" => ReasoningLevel.High,
                    "max" => ReasoningLevel.Max,
                    _ => throw new InvalidDataException($"{source}: reasoning_effort \"{effort}\" is not none, high or max"),
                },
                Temperature = sample ? temperature : 0,
                TopP = Real(root, "top_p", source, 0, 1, false) ?? 1,
                TopK = TopKOf(root, source),
                MinP = Real(root, "min_p", source, 0, 1, true) ?? 0,
                RepetitionPenalty = (float)(Real(root, "repetition_penalty", source, SamplingOptions.MinRepetitionPenalty, SamplingOptions.MaxRepetitionPenalty, true) ?? 1),
            };
        }
    }

    private static int TopKOf(JsonElement root, string source)
    {
        double? k = Real(root, "top_k", source, 0, 1 << 24, true);
        if (k is double d && d != Math.Floor(d)) throw new InvalidDataException($"{source}: top_k must be an integer (got {d})");
        return (int)(k ?? 0);
    }

    private static bool? Bool(JsonElement o, string key, string source)
    {
        if (!o.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"{source}: {key} must be true or false"),
        };
    }

    private static string? Str(JsonElement o, string key, string source)
    {
        if (!o.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new InvalidDataException($"{source}: {key} must be a string");
    }

    private static double? Real(JsonElement o, string key, string source, double min, double max, bool minInclusive)
    {
        if (!o.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d)
            || !(minInclusive ? d >= min : d > min) || d > max)
            throw new InvalidDataException($"{source}: {key} must be a number in {(minInclusive ? "[" : "(")}{min}, {max}]");
        return d;
    }
}
