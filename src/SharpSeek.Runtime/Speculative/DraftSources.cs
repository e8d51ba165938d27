// Where draft tokens come from. The default is the model's own multi-token-prediction head; the
// interface lets tests force wrong drafts and leaves room for other drafters (n-gram, small model).
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Models;

namespace SharpSeek.Runtime.Speculative;

public interface IDraftSource
{
    /// <summary>
    /// Draft logits [VocabSize] for the token after <paramref name="nextId"/>, where nextId is the
    /// token just sampled for position sequence.Length (not fed yet).
    /// </summary>
    void Draft(ISequence sequence, int nextId, Span<float> logits);
}

/// <summary>The drafter of a request: its own (tests, other drafters), else the model's head (DSpark block or MTP).</summary>
public static class DraftSources
{
    public static IBlockDraftSource For(GenerationRequest request, ILanguageModel model) =>
        request.BlockDraftSource ?? (request.DraftSource is { } d ? new SingleDraftSource(d)
            : model is IBlockDraftModel { DraftBlockSize: > 0 } b ? new DSparkDraftSource(b) : new SingleDraftSource(new MtpDraftSource(model)));

    /// <summary>Draft tokens per step of <see cref="For"/> (what a speculative request's memory must be able to roll back).</summary>
    public static int Depth(GenerationRequest request, ILanguageModel model) =>
        request.BlockDraftSource?.Depth ?? (request.DraftSource is null && model is IBlockDraftModel { DraftBlockSize: > 0 } b ? b.DraftBlockSize : 1);
}

/// <summary>The MTP block as the draft: ILanguageModel.ForwardDraft.</summary>
public sealed class MtpDraftSource(ILanguageModel model) : IDraftSource
{
    public void Draft(ISequence sequence, int nextId, Span<float> logits) => model.ForwardDraft(sequence, nextId, logits);
}

/// <summary>Acceptance counters of one request (or of several, when shared).</summary>
public sealed class SpeculativeStats
{
    /// <summary>Draft-and-verify steps run.</summary>
    public int Steps { get; private set; }
    public int Drafted { get; private set; }
    public int Accepted { get; private set; }
    /// <summary>Accepted / drafted (0 before any draft).</summary>
    public double AcceptanceRate => Drafted == 0 ? 0 : (double)Accepted / Drafted;

    public void Record(int drafted, int accepted)
    {
        Steps++;
        Drafted += drafted;
        Accepted += accepted;
    }

    public SpeculativeStats Snapshot()
    {
        var s = new SpeculativeStats();
        s.Steps = Steps; s.Drafted = Drafted; s.Accepted = Accepted;
        return s;
    }
}
