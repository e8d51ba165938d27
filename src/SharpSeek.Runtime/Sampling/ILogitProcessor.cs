// One step of the sampler chain: rewrites logits in place (penalties, bias, temperature) or masks
// tokens out with -inf (top-k, top-p, min-p). Steps are small sealed types composed by SamplerChain.
namespace SharpSeek.Runtime.Sampling;

public interface ILogitProcessor
{
    /// <summary>Rewrites <paramref name="logits"/> [VocabSize] given what has been seen so far.</summary>
    void Process(Span<float> logits, TokenHistory history);
}
