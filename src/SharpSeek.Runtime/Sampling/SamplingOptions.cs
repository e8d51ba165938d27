// Sampling settings as the CLI and the server receive them, validated once. Neutral values switch
// a step off; Temperature 0 means greedy (argmax, no random draw).
namespace SharpSeek.Runtime.Sampling;

public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 1f;
    /// <summary>0 = off.</summary>
    public int TopK { get; init; }
    public double TopP { get; init; } = 1;
    public double MinP { get; init; }
    public float RepetitionPenalty { get; init; } = 1f;
    public float PresencePenalty { get; init; }
    public float FrequencyPenalty { get; init; }
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }
    /// <summary>Only ids below this can be chosen (a tokenizer smaller than the embedding); null = all.</summary>
    public int? VocabLimit { get; init; }
    /// <summary>Seed of the random source; null = a fresh seed from the OS.</summary>
    public ulong? Seed { get; init; }

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>The smallest non-zero temperature: below it logits / T overflows float (use 0 for greedy).</summary>
    public const float MinTemperature = 1e-4f;

    /// <summary>The repetition penalty's range: outside it seen logits overflow or vanish (1 = off).</summary>
    public const float MinRepetitionPenalty = 1e-2f, MaxRepetitionPenalty = 100f;

    public bool IsGreedy => Temperature == 0;

    /// <summary>Throws ArgumentException naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!(Temperature == 0 || Temperature >= MinTemperature) || float.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be 0 (greedy) or a finite value >= {MinTemperature} (got {Temperature})");
        if (TopK < 0) throw new ArgumentException($"top-k must be >= 0 (got {TopK})");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1] (got {TopP})");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min-p must be in [0, 1] (got {MinP})");
        if (!(RepetitionPenalty >= MinRepetitionPenalty && RepetitionPenalty <= MaxRepetitionPenalty))
            throw new ArgumentException($"repetition penalty must be in [{MinRepetitionPenalty}, {MaxRepetitionPenalty}] (got {RepetitionPenalty})");
        if (VocabLimit is < 1) throw new ArgumentException($"vocab limit must be >= 1 (got {VocabLimit})");
        if (!float.IsFinite(PresencePenalty)) throw new ArgumentException("presence penalty must be finite");
        if (!float.IsFinite(FrequencyPenalty)) throw new ArgumentException("frequency penalty must be finite");
        if (LogitBias is not null)
            foreach (var (id, bias) in LogitBias)
                if (id < 0 || float.IsNaN(bias) || float.IsPositiveInfinity(bias)) throw new ArgumentException($"logit bias {bias} for id {id} is invalid (ids >= 0, biases finite or -infinity)");
    }
}
