// Defaults of the in-process chat client (what applies when ChatOptions leaves a setting unset).
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Extensions.AI;

public sealed record SharpSeekChatClientOptions
{
    public string ModelId { get; init; } = "sharpseek";
    public int DefaultMaxOutputTokens { get; init; } = 256;
    public float DefaultTemperature { get; init; } = 1f;
    /// <summary>Thinking mode when ChatOptions.Reasoning is unset.</summary>
    public ThinkingMode DefaultThinking { get; init; } = ThinkingMode.Thinking;
    /// <summary>Tokens per prefill Forward.</summary>
    public int PrefillChunk { get; init; } = 64;
    /// <summary>Bytes of sequence memory the client's own engine keeps for prefix reuse (0 = off).</summary>
    public long PrefixCacheBytes { get; init; } = 64L << 20;
    /// <summary>Decode speculatively with the model's draft head (MTP or DSpark): the same tokens, drafted and verified in blocks.</summary>
    public bool Speculative { get; init; }
    /// <summary>Bounds of constrained output (ResponseFormat, required tools).</summary>
    public SharpSeek.Runtime.Constraints.ConstraintLimits ConstraintLimits { get; init; } = new();
}
