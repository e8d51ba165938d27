// The sampling and limit flags shared by `generate` and `chat`, turned into SamplingOptions with
// one-line errors for out-of-range values.
using System.CommandLine;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Cli.Generation;

public sealed class SamplingFlags
{
    public Option<float> Temperature { get; } = new("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 1f };
    public Option<double> TopP { get; } = new("--top-p") { Description = "Nucleus sampling mass in (0, 1]", DefaultValueFactory = _ => 1.0 };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)" };
    public Option<double> MinP { get; } = new("--min-p") { Description = "Keep tokens with p >= min_p * p_max (0 = off)" };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Random seed (same seed, same output)" };
    public Option<float> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "Divide logits of seen tokens (1 = off)", DefaultValueFactory = _ => 1f };
    public Option<float> PresencePenalty { get; } = new("--presence-penalty") { Description = "Subtract from logits of generated tokens (0 = off)" };
    public Option<float> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "Subtract count * value from logits of generated tokens (0 = off)" };
    public Option<int> MaxTokens { get; } = new("--max-tokens") { Description = "Maximum number of tokens to generate", DefaultValueFactory = _ => 128 };
    public Option<string?> Speculative { get; } = SpeculativeFlag.Create("Speculative decoding with the model's draft head: alone = the head the checkpoint has; mtp (V4) or dspark (V4.1, 0731) to insist on one");
    public Option<string?> Model { get; } = new("--model") { Description = "Model directory or a deepseek4 .gguf file (default: models/default)" };
    public Option<int?> Context { get; } = new("--context") { Description = "Limit the context length (positions)" };
    public Option<string> Head { get; } = HeadFlag.Create();
    public Option<string> Activations { get; } = ActivationsFlag.Create();

    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Model, Temperature, TopP, TopK, MinP, Seed, RepetitionPenalty, PresencePenalty, FrequencyPenalty, MaxTokens, Speculative, Context, Head, Activations })
            command.Options.Add(o);
    }

    public SamplingOptions Read(ParseResult parse)
    {
        var options = new SamplingOptions
        {
            Temperature = parse.GetValue(Temperature),
            TopP = parse.GetValue(TopP),
            TopK = parse.GetValue(TopK),
            MinP = parse.GetValue(MinP),
            Seed = parse.GetValue(Seed),
            RepetitionPenalty = parse.GetValue(RepetitionPenalty),
            PresencePenalty = parse.GetValue(PresencePenalty),
            FrequencyPenalty = parse.GetValue(FrequencyPenalty),
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        if (parse.GetValue(MaxTokens) < 1) throw new CliException($"--max-tokens must be >= 1 (got {parse.GetValue(MaxTokens)})");
        return options;
    }
}
