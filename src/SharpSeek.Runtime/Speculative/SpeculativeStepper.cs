// One draft-and-verify step with a depth-1 draft (V4 has one MTP block). With the pending token p
// (sampled, not fed) at position L: draft d after p; feed [p, d] in ONE Forward (rows R0: after p,
// R1: after d); decide d. Greedy: accept iff argmax(R0) == d, so the output is exactly plain greedy.
// Sampling: accept with probability min(1, P(d)/Q(d)), else Truncate(L + 1) and sample from
// norm(max(0, P - Q)) (Leviathan et al. / Chen et al.), so the output distribution is unchanged.
// P and Q are the sampler chain's processed distributions of the main and the draft logits.
using SharpSeek.Runtime.Generation;
using SharpSeek.Runtime.Sampling;

namespace SharpSeek.Runtime.Speculative;

internal sealed class SpeculativeStepper
{
    private readonly SequenceDecoder _decoder;
    private readonly IDraftSource _draft;
    private readonly SpeculativeStats _stats;
    private readonly float[] _draftLogits;
    private readonly float[] _rows;
    private readonly float[] _q;
    private readonly float[] _p;

    public SpeculativeStepper(SequenceDecoder decoder, IDraftSource draft, SpeculativeStats stats)
    {
        _decoder = decoder;
        _draft = draft;
        _stats = stats;
        int v = decoder.Model.VocabSize;
        _draftLogits = new float[v];
        _rows = new float[2 * v];
        _q = new float[v];
        _p = new float[v];
    }

    public void Step()
    {
        SequenceDecoder d = _decoder;
        SamplerChain sampler = d.Sampler;
        int v = d.Model.VocabSize, p = d.Pending, length = d.Sequence.Length;

        // 1. Draft the token after p (history = everything up to p, the same as for R0).
        _draft.Draft(d.Sequence, p, _draftLogits);
        int draft;
        if (sampler.IsGreedy) draft = sampler.Sample(_draftLogits, d.History);
        else
        {
            sampler.Distribution(_draftLogits, d.History, _q);
            draft = Softmax.Draw(_q, sampler.NextUniform());
        }

        // 2. Verify: one Forward of [p, draft].
        d.Model.Forward(d.Sequence, [p, draft], _rows);
        d.PendingFed();
        ReadOnlySpan<float> r0 = _rows.AsSpan(0, v), r1 = _rows.AsSpan(v, v);

        // 3. Decide.
        bool accepted;
        int correction = -1;
        if (sampler.IsGreedy)
        {
            int target = sampler.Sample(r0, d.History);
            accepted = target == draft;
            correction = target;
        }
        else
        {
            sampler.Distribution(r0, d.History, _p);
            double ratio = _q[draft] > 0 ? _p[draft] / _q[draft] : 0;
            accepted = sampler.NextUniform() < Math.Min(1.0, ratio);
            if (!accepted) correction = SampleResidual(sampler);
        }
        _stats.Record(1, accepted ? 1 : 0);

        if (accepted)
        {
            // draft is fed; its row R1 gives the next token.
            if (d.Emit(draft, alreadyFed: true)) return;
            r1.CopyTo(d.Logits);
            d.SampleNext();
            return;
        }
        // 4. Reject: forget the draft exactly; the correction becomes the pending token.
        d.Sequence.Truncate(length + 1);
        r0.CopyTo(d.Logits);
        d.Emit(correction);
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
