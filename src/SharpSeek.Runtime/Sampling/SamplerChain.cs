// A sampler: an ordered chain of logit processors and a final choice (argmax when greedy, else a
// draw from the softmax with the chain's own seeded random source). One instance per sequence: it
// owns scratch buffers and the random state. Distribution() exposes the processed probabilities,
// which speculative rejection sampling needs for both the target and the draft.
namespace SharpSeek.Runtime.Sampling;

public sealed class SamplerChain
{
    private readonly ILogitProcessor[] _steps;
    private readonly Xoshiro256StarStar? _random;
    private float[] _work = [];
    private float[] _probs = [];

    /// <param name="steps">Applied in order.</param>
    /// <param name="random">Null = greedy: the argmax of the processed logits.</param>
    public SamplerChain(IEnumerable<ILogitProcessor> steps, Xoshiro256StarStar? random)
    {
        _steps = steps.ToArray();
        _random = random;
    }

    public bool IsGreedy => _random is null;
    public IReadOnlyList<ILogitProcessor> Steps => _steps;

    /// <summary>
    /// The standard chain: request-specific processors first (forced tokens, grammars), then penalties, logit bias, temperature, top-k, top-p, min-p (the order of
    /// llama.cpp and vLLM), then argmax (temperature 0) or a seeded draw.
    /// </summary>
    public static SamplerChain Create(SamplingOptions options, IEnumerable<ILogitProcessor>? requestSteps = null)
    {
        options.Validate();
        var steps = new List<ILogitProcessor>(requestSteps ?? []);
        if (options.RepetitionPenalty != 1f) steps.Add(new RepetitionPenalty(options.RepetitionPenalty));
        if (options.PresencePenalty != 0f) steps.Add(new PresencePenalty(options.PresencePenalty));
        if (options.FrequencyPenalty != 0f) steps.Add(new FrequencyPenalty(options.FrequencyPenalty));
        if (options.LogitBias is { Count: > 0 }) steps.Add(new LogitBias(options.LogitBias));
        if (options.VocabLimit is int limit) steps.Add(new VocabLimit(limit));
        if (options.IsGreedy) return new SamplerChain(steps, null);
        if (options.Temperature != 1f) steps.Add(new Temperature(options.Temperature));
        if (options.TopK > 0) steps.Add(new TopK(options.TopK));
        if (options.TopP < 1) steps.Add(new TopP(options.TopP));
        if (options.MinP > 0) steps.Add(new MinP(options.MinP));
        ulong seed = options.Seed ?? BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        return new SamplerChain(steps, new Xoshiro256StarStar(seed));
    }

    /// <summary>Chooses the next token from raw logits [VocabSize] (not modified).</summary>
    public int Sample(ReadOnlySpan<float> logits, TokenHistory history)
    {
        Span<float> work = Processed(logits, history);
        if (_random is null) return Softmax.ArgMax(work);
        Softmax.Compute(work, Probs(work.Length));
        return Softmax.Draw(_probs, NextUniform());
    }

    /// <summary>
    /// Writes the distribution the sampler draws from into <paramref name="probs"/>: the softmax of
    /// the processed logits, or a one-hot at the argmax when greedy.
    /// </summary>
    public void Distribution(ReadOnlySpan<float> logits, TokenHistory history, Span<float> probs)
    {
        Span<float> work = Processed(logits, history);
        if (_random is null)
        {
            probs.Clear();
            probs[Softmax.ArgMax(work)] = 1f;
            return;
        }
        Softmax.Compute(work, probs);
    }

    /// <summary>A uniform number in [0, 1) from this sampler's random source (greedy: always 0).</summary>
    public double NextUniform() => _random?.NextDouble() ?? 0;

    private Span<float> Processed(ReadOnlySpan<float> logits, TokenHistory history)
    {
        if (_work.Length != logits.Length) _work = new float[logits.Length];
        logits.CopyTo(_work);
        foreach (ILogitProcessor step in _steps) step.Process(_work, history);
        return _work;
    }

    private Span<float> Probs(int n)
    {
        if (_probs.Length != n) _probs = new float[n];
        return _probs;
    }
}
