// One draft-and-verify step with a depth-1 draft (V4 has one MTP block), split around the engine's
// batched model call. With the pending token p (sampled, not fed) at position L: Propose drafts d
// after p; the engine feeds [p, d] in the step's one batched call (rows R0: after p, R1: after d);
// Decide accepts or rejects d. Greedy: accept iff argmax(R0) == d, so the output is exactly plain
// greedy. Sampling: accept with probability min(1, P(d)/Q(d)), else Truncate(L + 1) and sample from
// norm(max(0, P - Q)) (Leviathan et al. / Chen et al.), so the output distribution is unchanged.
// P and Q are the sampler chain's processed distributions of the main and the draft logits.
using SharpSeek.Runtime.Engine;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Speculative;

internal sealed class DraftStep(IDraftSource source, int vocab)
{
    private readonly float[] _draftLogits = new float[vocab];
    private readonly float[] _q = new float[vocab];
    private readonly float[] _p = new float[vocab];
    private int _length = -1;

    /// <summary>Drafts the token after the pending one (history = everything up to p, as for R0).</summary>
    public int Propose(EngineSequence s)
    {
        SamplerChain sampler = s.Sampler;
        _length = s.Sequence.Length;
        source.Draft(s.Sequence, s.Pending, _draftLogits);
        if (sampler.IsGreedy) return sampler.Sample(_draftLogits, s.History);
        sampler.Distribution(_draftLogits, s.History, _q);
        return Softmax.Draw(_q, sampler.NextUniform());
    }

    /// <summary>After [p, draft] was fed with rows [2, vocab]: accept or reject and emit.</summary>
    public void Decide(EngineSequence s, int draft, ReadOnlySpan<float> rows)
    {
        SamplerChain sampler = s.Sampler;
        ReadOnlySpan<float> r0 = rows[..vocab], r1 = rows.Slice(vocab, vocab);
        s.PendingFed();
        bool accepted;
        int correction = -1;
        if (sampler.IsGreedy)
        {
            correction = sampler.Sample(r0, s.History);
            accepted = correction == draft;
        }
        else
        {
            sampler.Distribution(r0, s.History, _p);
            double ratio = _q[draft] > 0 ? _p[draft] / _q[draft] : 0;
            accepted = sampler.NextUniform() < Math.Min(1.0, ratio);
            if (!accepted) correction = SampleResidual(sampler);
        }
        s.Stats!.Record(1, accepted ? 1 : 0);

        if (accepted)
        {
            // The draft is fed; its row R1 gives the next token.
            if (s.Emit(draft, r0)) return;
            r1.CopyTo(s.Logits);
            s.SampleAndEmit();
            return;
        }
        // Reject: forget the draft exactly; the correction becomes the pending token.
        s.Sequence.Truncate(_length + 1);
        r0.CopyTo(s.Logits);
        s.Emit(correction, r0);
    }

    // norm(max(0, P - Q)); P == Q everywhere cannot reject, but guard against rounding with P.
    private int SampleResidual(SamplerChain sampler)
    {
        double total = 0;
        for (int i = 0; i < _p.Length; i++)
        {
            float r = Math.Max(0f, _p[i] - _q[i]);
            _q[i] = r;
            total += r;
        }
        return Softmax.Draw(total > 0 ? _q : _p, sampler.NextUniform());
    }
}
